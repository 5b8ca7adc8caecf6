// The value of a stream key (OBJECT ENCODING "stream"), with Redis 7.0's semantics.
//
// Entries live in StreamNodes (packed blocks, Redis's listpacks) kept in an ordered map by
// their first ID, so a range read is a map seek plus a binary search in one node. The stream
// also keeps Redis's metadata (last generated ID, first ID, largest deleted ID, entries ever
// added) and its consumer groups: per group the last delivered ID, the read counter, the
// pending entries list (PEL) and the consumers, each with its own PEL. Group names, consumer
// names and PELs iterate in the order Redis's radix trees do (bytes, then length).
// Owned by its key's entry on one shard; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "core/stream_node.h"
#include "core/value.h"

namespace kora {

struct StreamConsumer;

// A pending (delivered, not acknowledged) entry of a group.
struct StreamNack {
  int64_t delivery_time = 0;  // Unix ms of the last delivery
  uint64_t delivery_count = 1;
  StreamConsumer* consumer = nullptr;  // owner; never null once claimed or delivered
};

struct StreamConsumer {
  std::string name;
  int64_t seen_time = 0;   // Unix ms of the last interaction (XINFO CONSUMERS idle)
  std::set<StreamId> pel;  // this consumer's part of the group PEL
};

struct StreamGroup {
  static constexpr int64_t kInvalidEntriesRead = -1;  // SCG_INVALID_ENTRIES_READ
  StreamId last_id;
  int64_t entries_read = kInvalidEntriesRead;
  std::map<StreamId, StreamNack> pel;
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;

  StreamConsumer* FindConsumer(std::string_view name) const;
  // Creates the consumer; nullptr if it exists.
  StreamConsumer* CreateConsumer(std::string_view name, int64_t now_ms);
  // Removes the consumer and its pending entries; returns how many it had.
  size_t DeleteConsumer(StreamConsumer* c);
};

// XADD/XTRIM trimming (Redis's streamAddTrimArgs).
struct StreamTrimArgs {
  enum Strategy { kNone, kMaxLen, kMinId } strategy = kNone;
  bool approx = false;
  int64_t limit = 0;  // 0: no limit
  int64_t maxlen = 0;
  StreamId minid;
};

class StreamObject final : public CollectionObject {
 public:
  using Nodes = std::map<StreamId, StreamNode>;
  using Groups = std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>;

  ValueType type() const override { return ValueType::kStream; }
  const char* encoding_name() const override { return "stream"; }
  std::unique_ptr<CollectionObject> Clone() const override;
  size_t MemoryUsage() const override;

  uint64_t length() const { return length_; }
  StreamId last_id() const { return last_id_; }
  StreamId first_id() const { return first_id_; }
  StreamId max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  // XSETID.
  void SetLastId(StreamId id) { last_id_ = id; }
  void SetEntriesAdded(uint64_t n) { entries_added_ = n; }
  void SetMaxDeletedId(StreamId id) { max_deleted_id_ = id; }

  enum class AddStatus { kOk, kIdTooSmall, kTooLarge };
  struct NodeLimits {
    int64_t max_bytes = 4096;  // stream-node-max-bytes (0: no limit)
    int64_t max_entries = 100;  // stream-node-max-entries (0: no limit)
  };
  // Redis's streamAppendItem: appends `fv` (field, value, ...) with an ID generated from
  // `now_ms`, or `use_id` (its sequence generated when !seq_given).
  AddStatus Add(std::span<const std::string_view> fv, const StreamId* use_id, bool seq_given,
                int64_t now_ms, const NodeLimits& limits, StreamId* added);
  // Redis's streamTrim; returns the number of entries removed.
  int64_t Trim(const StreamTrimArgs& args);
  // XDEL: deletes the entries that exist, updating the first and largest deleted IDs. Returns
  // how many were deleted.
  int64_t DeleteIds(std::span<const StreamId> ids);
  bool Exists(StreamId id) const;
  // The first or last entry, tombstones skipped or not (streamGetEdgeID): 0-0 / max if none.
  StreamId EdgeId(bool first, bool skip_tombstones) const;
  // The last live entry; false when empty.
  bool LastValidId(StreamId* id) const;

  // Radix tree statistics as XINFO STREAM shows them.
  size_t rax_keys() const { return nodes_.size(); }
  size_t RaxNodes() const;

  // ---- Consumer groups.
  const Groups& groups() const { return groups_; }
  StreamGroup* FindGroup(std::string_view name) const;
  // nullptr if a group of that name exists.
  StreamGroup* CreateGroup(std::string_view name, StreamId last_id, int64_t entries_read);
  bool DestroyGroup(std::string_view name);
  // Records that entry `id` (read by a group consumer) was delivered: advances the group's last
  // ID and read counter, and unless `noack` adds it to the PELs (streamReplyWithRange).
  void Deliver(StreamGroup* g, StreamConsumer* c, StreamId id, bool noack, int64_t now_ms);
  // The group's lag, or nullopt when it cannot be computed (streamReplyWithCGLag).
  std::optional<int64_t> Lag(const StreamGroup& g) const;
  // Redis's streamEstimateDistanceFromFirstEverEntry (kInvalidEntriesRead if unknown).
  int64_t EstimateDistance(StreamId id) const;
  bool RangeHasTombstones(StreamId start, StreamId end) const;

  // Iterates live entries in [start, end], forward or backward (streamIterator).
  class Iterator {
   public:
    Iterator(const StreamObject& s, StreamId start, StreamId end, bool rev);
    // Moves to the next entry in range; false at the end.
    bool Next(StreamId* id);
    size_t NumFields() const { return node_->second.NumFieldsAt(idx_); }
    template <class Fn>
    void ForEachField(Fn&& fn) const {
      node_->second.ForEachField(idx_, fn);
    }

   private:
    const Nodes& nodes_;
    Nodes::const_iterator node_;
    size_t idx_ = 0;
    StreamId start_, end_;
    bool rev_;
    bool started_ = false;
    bool done_ = false;
  };

 private:
  // Locates entry `id`: its node and index; false if absent (deleted entries count).
  bool Locate(StreamId id, Nodes::iterator* node, size_t* idx);
  // Deletes one live entry (streamDeleteItem); false if absent.
  bool Delete(StreamId id);

  Nodes nodes_;
  uint64_t length_ = 0;
  StreamId last_id_;
  StreamId first_id_;
  StreamId max_deleted_id_;
  uint64_t entries_added_ = 0;
  Groups groups_;
};

}  // namespace kora
