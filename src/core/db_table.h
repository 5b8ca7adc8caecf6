// One logical database (SELECT index) of one shard: the key table plus its expiry index.
//
// Keys with a deadline are also kept in a dense vector so the active expiry cycle can sample
// them uniformly in O(1). Deadlines are absolute Unix milliseconds. Lookups expire lazily.
// Owned by its shard and touched only from that shard's thread.
#pragma once

#include <atomic>
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/dict.h"
#include "core/inline_key.h"
#include "core/prefix_memory.h"
#include "core/value.h"

namespace kora {

// Redis's LFU_INIT_VAL: the counter a new key starts with.
inline constexpr uint8_t kLfuInitVal = 5;
// The LRU clock wraps like Redis's 24-bit LRU_CLOCK (seconds).
inline constexpr uint32_t kLruClockMax = (1u << 24) - 1;

// lfu-log-factor and lfu-decay-time (minutes per counter decrement; 0: never decay), shared
// by the tables of every shard and changed by CONFIG SET (relaxed loads).
struct LfuParams {
  std::atomic<uint32_t> log_factor{10};
  std::atomic<uint32_t> decay_time{1};
};

struct KeyEntry {
  KeyEntry* next = nullptr;
  InlineKey key;
  Value value;
  uint32_t version = 0;  // changes whenever a write command touches the entry (WATCH)
  // Memory by prefix (DbTable::EnablePrefixMemory): the entry's MEMORY USAGE in 8-byte units
  // as last added to the table's PrefixMemory; while the entry waits in the table's dirty list
  // (written since), kAcctDirty | its position there. Zero while the feature is off.
  uint32_t acct = 0;
  int64_t expire_at = 0;      // 0: no deadline
  uint32_t volatile_idx = 0;  // position in DbTable::volatile_ when expire_at != 0
  // Access clock of the last touching lookup (DbTable::Find, not Peek) or of the insertion:
  // Redis's LRU clock (Unix seconds modulo 2^24; OBJECT IDLETIME, LRU eviction) and its
  // logarithmic access counter (OBJECT FREQ, LFU eviction), decayed by one per idle minute.
  uint32_t access_time : 24 = 0;
  uint32_t lfu_counter : 8 = kLfuInitVal;

  std::string_view Key() const { return key; }
};

class DbTable;

// Redis's MEMORY USAGE of a key: its entry, its bucket slot, the key name's and the value's
// allocations. O(1) for strings, hashes, sets and sorted sets; O(chunks) for lists, O(nodes)
// for streams.
size_t EntryMemoryUsage(const KeyEntry& e);

// Told about keys that appear or expire (keyspace notifications, commands/notify.h). Called on
// the shard's thread; `key` is valid only during the call. Outlives the tables it observes.
class KeyObserver {
 public:
  virtual ~KeyObserver() = default;
  // A key deleted because its deadline passed (lazily or by the active cycle), before it goes.
  virtual void OnExpired(DbTable& table, std::string_view key) = 0;
  // A key added by Insert or Attach (Redis's dbAdd); called only while want_inserted is set.
  virtual void OnInserted(DbTable& table, std::string_view key) = 0;
  std::atomic<bool> want_inserted{false};
};

class DbTable {
 public:
  DbTable() = default;
  ~DbTable();
  DbTable(const DbTable&) = delete;
  DbTable& operator=(const DbTable&) = delete;

  // Versioning for WATCH: while *write_mode is set (a write command runs), every Find and
  // Peek stamps the entry with a fresh number from *counter; inserts always do.
  void BindVersioning(const bool* write_mode, uint32_t* counter) {
    write_mode_ = write_mode;
    version_counter_ = counter;
  }
  uint32_t NextVersion() { return version_counter_ ? ++*version_counter_ : 0; }
  void set_observer(KeyObserver* o) { observer_ = o; }
  // LFU parameters to use (the server's CONFIG values); Redis's defaults until bound.
  void BindLfuParams(const LfuParams* p) { lfu_ = p; }

  // Finds a live key; an expired one is deleted on the spot (counted in expired_keys()). Counts
  // as an access: updates the entry's LRU clock and LFU counter (Redis's lookupKey).
  KeyEntry* Find(std::string_view key, int64_t now_ms);
  // Find without counting an access (Redis's LOOKUP_NOTOUCH: TYPE, TTL, EXISTS, OBJECT, SCAN).
  KeyEntry* Peek(std::string_view key, int64_t now_ms);
  // Returns the entry for `key`, creating an empty string value if absent (inserted=true).
  KeyEntry* FindOrInsert(std::string_view key, int64_t now_ms, bool* inserted);
  // Inserts a key known to be absent. Its access clock is the latest one this table has seen.
  KeyEntry* Insert(std::string_view key, Value value);
  bool Erase(std::string_view key);
  void Erase(KeyEntry* e);
  // Removes the entry from the table without destroying it; the caller owns it. Its deadline
  // is cleared (read expire_at before to keep it).
  KeyEntry* Detach(KeyEntry* e);
  // Links a detached entry (from this or another table of the same shard) whose key is absent
  // here, with deadline `expire_at` (0: none). The table owns it again.
  void Attach(KeyEntry* e, int64_t expire_at);

  // For a change made outside a write command's lookups (PFCOUNT caching its estimate): stamps
  // the entry for WATCH and queues it for memory by prefix; NoteResized does only the latter.
  void NoteWrite(KeyEntry* e) {
    e->version = NextVersion();
    MarkDirty(e);
  }
  void NoteResized(KeyEntry* e) { MarkDirty(e); }

  void SetExpire(KeyEntry* e, int64_t at_ms);
  void ClearExpire(KeyEntry* e);

  size_t size() const { return dict_.size(); }
  size_t volatile_count() const { return volatile_.size(); }
  // The entries with a deadline, in no particular order (eviction samples them).
  const std::vector<KeyEntry*>& volatile_entries() const { return volatile_; }
  Dict<KeyEntry>& dict() { return dict_; }

  void Clear();
  void Swap(DbTable& other);

  // Memory by key prefix. Enabling (again) recomputes every key's size and rebuilds the trie;
  // depth 0 turns it off. Entries a write touched are queued and their sizes brought up to
  // date by FlushPrefixMemory() (between commands: a command may fill a value after the
  // lookup). The first entry queued appends this table to *dirty_tables (bound by the shard).
  void EnablePrefixMemory(char separator, int depth);
  void BindDirtyList(std::vector<DbTable*>* dirty_tables) { dirty_tables_ = dirty_tables; }
  void FlushPrefixMemory();
  size_t prefix_dirty() const { return dirty_.size(); }
  // nullptr while off. Up to date only after FlushPrefixMemory().
  const PrefixMemory* prefix_memory() const { return prefix_.get(); }

  // Samples keys with deadlines and deletes expired ones, Redis-style: repeats while more
  // than 25% of a sample was expired, up to `deadline_us` (monotonic). Returns keys deleted.
  size_t ActiveExpire(int64_t now_ms, int64_t deadline_us, std::mt19937_64& rng);
  // Random live key (expired ones met on the way are deleted); nullptr if none.
  KeyEntry* RandomKey(int64_t now_ms, std::mt19937_64& rng);

  uint64_t expired_keys() const { return expired_; }
  int64_t avg_ttl_hint(int64_t now_ms) const;

  // Redis's LRU_CLOCK for a wall-clock time.
  static uint32_t LruClock(int64_t now_ms) {
    return static_cast<uint32_t>(now_ms / 1000) & kLruClockMax;
  }
  // Milliseconds since the entry's last access (Redis's estimateObjectIdleTime).
  static uint64_t IdleMs(const KeyEntry* e, int64_t now_ms);
  // The entry's LFU counter decayed to now (Redis's LFUDecrAndReturn) with lfu-decay-time 1.
  static uint8_t LfuCount(const KeyEntry* e, int64_t now_ms);
  // The same with this table's lfu-decay-time (OBJECT FREQ, LFU eviction).
  uint8_t LfuValue(const KeyEntry* e, int64_t now_ms) const {
    return LfuDecay(e, LruClock(now_ms), lfu_->decay_time.load(std::memory_order_relaxed));
  }

 private:
  bool IsExpired(const KeyEntry* e, int64_t now_ms) const {
    return e->expire_at != 0 && e->expire_at <= now_ms;
  }
  void RemoveVolatile(KeyEntry* e);
  template <bool kTouch>
  KeyEntry* Lookup(std::string_view key, int64_t now_ms);
  void Touch(KeyEntry* e);
  static uint8_t LfuDecay(const KeyEntry* e, uint32_t clock, uint32_t decay_time);
  static const LfuParams kDefaultLfu;

  static constexpr uint32_t kAcctDirty = 0x80000000u;
  void MarkDirty(KeyEntry* e) {
    if (prefix_ == nullptr || (e->acct & kAcctDirty)) return;
    if (dirty_.empty() && dirty_tables_ != nullptr) dirty_tables_->push_back(this);
    dirty_.push_back({e, e->acct});
    e->acct = kAcctDirty | static_cast<uint32_t>(dirty_.size() - 1);
  }
  // The entry leaves the table: its bytes leave the trie.
  void ForgetAcct(KeyEntry* e);

  Dict<KeyEntry> dict_;
  struct DirtyEntry {
    KeyEntry* e;
    uint32_t old_units;  // what the trie holds for it
  };
  std::unique_ptr<PrefixMemory> prefix_;
  std::vector<DirtyEntry> dirty_;
  std::vector<DbTable*>* dirty_tables_ = nullptr;
  void NotifyInserted(KeyEntry* e) {
    if (observer_ && observer_->want_inserted.load(std::memory_order_relaxed)) [[unlikely]] {
      observer_->OnInserted(*this, e->Key());
    }
  }
  void NotifyExpired(KeyEntry* e) {
    if (observer_) observer_->OnExpired(*this, e->Key());
  }

  KeyObserver* observer_ = nullptr;
  const bool* write_mode_ = nullptr;
  uint32_t* version_counter_ = nullptr;
  const LfuParams* lfu_ = &kDefaultLfu;
  std::vector<KeyEntry*> volatile_;
  uint64_t expired_ = 0;
  uint32_t clock_ = 0;  // LRU clock of the latest lookup, given to new entries
  uint64_t lfu_rng_ = 0x2545F4914F6CDD1DULL;  // LCG state for the LFU increment
};

}  // namespace kora
