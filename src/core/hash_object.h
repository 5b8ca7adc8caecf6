// The value of a hash key, in Redis 7.0's two encodings (OBJECT ENCODING):
//  - "listpack": one flat buffer of [varint flen][field][varint vlen][value] pairs in insertion
//    order, searched linearly; used while the hash is small (HGETALL order is Redis's order);
//  - "hashtable": a BlobTable of [varint flen][field][value] payloads, for large hashes.
// The conversion is one-way, as in Redis; the command layer decides when (hash-max-listpack-*).
// Owned by its key's entry on one shard; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/blob_table.h"
#include "core/value.h"

namespace kora {

class HashObject final : public CollectionObject {
 public:
  HashObject() = default;
  ~HashObject() override;
  HashObject(const HashObject&) = delete;
  HashObject& operator=(const HashObject&) = delete;

  ValueType type() const override { return ValueType::kHash; }
  const char* encoding_name() const override { return table_ ? "hashtable" : "listpack"; }
  std::unique_ptr<CollectionObject> Clone() const override;
  size_t MemoryUsage() const override;

  bool is_listpack() const { return table_ == nullptr; }
  size_t size() const;

  // The value of `field`; the view is valid until the hash changes.
  std::optional<std::string_view> Get(std::string_view field) const;
  bool Contains(std::string_view field) const { return Get(field).has_value(); }
  // Sets `field` (appended when new); returns true when the field is new. A listpack hash
  // becomes a hashtable first when the field or value is longer than `max_listpack_value`, and
  // after when its size passes `max_listpack_entries` (Redis's hashTypeSet).
  bool Set(std::string_view field, std::string_view value, size_t max_listpack_entries,
           size_t max_listpack_value = SIZE_MAX);
  // Removes `field`; false when absent.
  bool Delete(std::string_view field);
  // Switches to the hashtable encoding (no-op if already there).
  void ConvertToTable();

  // Calls fn(field, value) for every pair: insertion order for a listpack.
  template <class Fn>
  void ForEach(Fn&& fn) const;
  // The pairs as views (valid until the hash changes).
  std::vector<std::pair<std::string_view, std::string_view>> Entries() const;

  // HSCAN step over the hashtable encoding: see BlobTable::Scan. fn(field, value).
  template <class Fn>
  uint64_t ScanTable(uint64_t cursor, Fn&& fn) const;
  // A uniformly chosen pair; the hash must not be empty.
  std::pair<std::string_view, std::string_view> Random(std::mt19937_64& rng) const;

 private:
  struct PayloadKey {
    static std::string_view Key(std::string_view payload) {
      uint64_t n;
      const char* d = blob::GetVarint(payload.data(), &n);
      return {d, static_cast<size_t>(n)};
    }
  };
  using Table = BlobTable<PayloadKey>;

  // The listpack buffer starts with this header.
  struct LpHeader {
    uint32_t bytes;  // payload bytes after the header
    uint32_t count;  // pairs
  };
  static constexpr size_t kHeader = sizeof(LpHeader);

  static std::pair<std::string_view, std::string_view> SplitPayload(std::string_view payload);
  static const char* LpNext(const char* p, std::string_view* field, std::string_view* value);
  // Offset (from the data start) of the pair holding `field`, or -1.
  int64_t LpFind(std::string_view field, std::string_view* value) const;
  LpHeader* lp_header() const { return reinterpret_cast<LpHeader*>(lp_); }
  char* lp_data() const { return lp_ + kHeader; }
  // Makes room for `extra` more bytes of data in the listpack buffer.
  void LpReserve(size_t extra);
  void TableSet(std::string_view field, std::string_view value, bool* added);

  char* lp_ = nullptr;            // listpack buffer (nullptr while empty) when table_ is unset
  std::unique_ptr<Table> table_;  // hashtable encoding
};

template <class Fn>
void HashObject::ForEach(Fn&& fn) const {
  if (table_) {
    table_->ForEach([&](std::string_view pl) {
      auto [f, v] = SplitPayload(pl);
      fn(f, v);
    });
    return;
  }
  if (lp_ == nullptr) return;
  const char* p = lp_data();
  const char* end = p + lp_header()->bytes;
  while (p < end) {
    std::string_view f, v;
    p = LpNext(p, &f, &v);
    fn(f, v);
  }
}

template <class Fn>
uint64_t HashObject::ScanTable(uint64_t cursor, Fn&& fn) const {
  return table_->Scan(cursor, [&](std::string_view pl) {
    auto [f, v] = SplitPayload(pl);
    fn(f, v);
  });
}

}  // namespace kora
