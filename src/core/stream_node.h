// Stream entry IDs and the packed block of entries a stream is made of.
//
// A StreamNode holds the entries of one stretch of a stream, as one of Redis's listpacks does:
// a "master" entry (the field names of the node's first entry) and then each entry as
// [flags][id delta to the master][fields and values] packed into one buffer, where an entry
// whose field names equal the master's stores only its values (SAMEFIELDS). Deleted entries
// stay in place with a flag until the whole node goes. The node also keeps the byte size the
// same entries would take in a Redis listpack (`lp_bytes`), because Redis decides when to start
// a new node (stream-node-max-bytes) by that size, and XINFO shows the node count.
// Owned by its StreamObject on one shard; not thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kora {

// A stream entry ID <ms>-<seq>, ordered as Redis orders them.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  friend auto operator<=>(const StreamId&, const StreamId&) = default;
  bool IsZero() const { return ms == 0 && seq == 0; }
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }
  // The next ID; past the maximum it wraps to 0-0 and returns false (Redis's streamIncrID).
  bool Incr();
  // The previous ID; below 0-0 it wraps to the maximum and returns false (streamDecrID).
  bool Decr();
  std::string ToString() const;
};

class StreamNode {
 public:
  static constexpr uint8_t kDeleted = 1;     // STREAM_ITEM_FLAG_DELETED
  static constexpr uint8_t kSameFields = 2;  // STREAM_ITEM_FLAG_SAMEFIELDS

  // A node whose master fields are the field names of `fv` (alternating fields and values);
  // the entry itself is added with Append.
  StreamNode(StreamId master, std::span<const std::string_view> fv);

  StreamId master() const { return master_; }
  // Entries stored, deleted ones included.
  size_t size() const { return offsets_.size(); }
  uint32_t live() const { return live_; }
  uint32_t deleted() const { return deleted_; }
  // The size of the equivalent Redis listpack.
  size_t lp_bytes() const { return lp_bytes_; }

  // Appends entry `id` (greater than every entry here). The first append is the entry the
  // node was created for.
  void Append(StreamId id, std::span<const std::string_view> fv);

  StreamId IdAt(size_t i) const;
  uint8_t FlagsAt(size_t i) const { return static_cast<uint8_t>(data_[offsets_[i]]); }
  bool DeletedAt(size_t i) const { return FlagsAt(i) & kDeleted; }
  size_t NumFieldsAt(size_t i) const;
  // Calls fn(field, value) for each pair of entry i, in order.
  template <class Fn>
  void ForEachField(size_t i, Fn&& fn) const;

  // Flags entry i deleted and moves it from the live to the deleted count.
  void MarkDeleted(size_t i);
  // First index whose ID is >= id, or > id for UpperBound (size() if none).
  size_t LowerBound(StreamId id) const;
  size_t UpperBound(StreamId id) const;

  size_t MemoryUsage() const;

 private:
  // Decodes the header of entry i; returns the position of its first field/value.
  const char* Header(size_t i, uint8_t* flags, StreamId* id, uint64_t* nfields) const;
  static const char* GetVarint(const char* p, uint64_t* v);
  static std::string_view GetString(const char** p);
  void SetCounts(uint32_t live, uint32_t deleted);

  StreamId master_;
  std::string master_fields_;  // [varint len][bytes] per field
  uint32_t master_count_ = 0;
  uint32_t live_ = 0;
  uint32_t deleted_ = 0;
  std::string data_;               // the entries
  std::vector<uint32_t> offsets_;  // where each entry starts in data_
  size_t lp_bytes_ = 0;
};

template <class Fn>
void StreamNode::ForEachField(size_t i, Fn&& fn) const {
  uint8_t flags;
  StreamId id;
  uint64_t n;
  const char* p = Header(i, &flags, &id, &n);
  if (flags & kSameFields) {
    const char* m = master_fields_.data();
    for (uint64_t k = 0; k < n; ++k) {
      std::string_view f = GetString(&m);
      std::string_view v = GetString(&p);
      fn(f, v);
    }
  } else {
    for (uint64_t k = 0; k < n; ++k) {
      std::string_view f = GetString(&p);
      std::string_view v = GetString(&p);
      fn(f, v);
    }
  }
}

}  // namespace kora
