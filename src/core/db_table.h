// One logical database (SELECT index) of one shard: the key table plus its expiry index.
//
// Keys with a deadline are also kept in a dense vector so the active expiry cycle can sample
// them uniformly in O(1). Deadlines are absolute Unix milliseconds. Lookups expire lazily.
// Owned by its shard and touched only from that shard's thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/dict.h"
#include "core/value.h"

namespace kora {

struct KeyEntry {
  KeyEntry* next = nullptr;
  std::string key;
  Value value;
  int64_t expire_at = 0;       // 0: no deadline
  uint32_t volatile_idx = 0;   // position in DbTable::volatile_ when expire_at != 0
  uint32_t access_time = 0;    // seconds (LRU clock) of the last access, for OBJECT IDLETIME

  std::string_view Key() const { return key; }
};

class DbTable {
 public:
  DbTable() = default;
  ~DbTable();
  DbTable(const DbTable&) = delete;
  DbTable& operator=(const DbTable&) = delete;

  // Finds a live key; an expired one is deleted on the spot (counted in *expired_counter).
  KeyEntry* Find(std::string_view key, int64_t now_ms);
  // Returns the entry for `key`, creating an empty string value if absent (inserted=true).
  KeyEntry* FindOrInsert(std::string_view key, int64_t now_ms, bool* inserted);
  // Inserts a key known to be absent.
  KeyEntry* Insert(std::string_view key, Value value);
  bool Erase(std::string_view key);
  void Erase(KeyEntry* e);
  // Removes the entry from the table without destroying it; the caller owns it.
  KeyEntry* Detach(KeyEntry* e);

  void SetExpire(KeyEntry* e, int64_t at_ms);
  void ClearExpire(KeyEntry* e);

  size_t size() const { return dict_.size(); }
  size_t volatile_count() const { return volatile_.size(); }
  Dict<KeyEntry>& dict() { return dict_; }

  void Clear();
  void Swap(DbTable& other);

  // Samples keys with deadlines and deletes expired ones, Redis-style: repeats while more
  // than 25% of a sample was expired, up to `deadline_us` (monotonic). Returns keys deleted.
  size_t ActiveExpire(int64_t now_ms, int64_t deadline_us, std::mt19937_64& rng);
  // Random live key (expired ones met on the way are deleted); nullptr if none.
  KeyEntry* RandomKey(int64_t now_ms, std::mt19937_64& rng);

  uint64_t expired_keys() const { return expired_; }
  int64_t avg_ttl_hint(int64_t now_ms) const;

 private:
  bool IsExpired(const KeyEntry* e, int64_t now_ms) const {
    return e->expire_at != 0 && e->expire_at <= now_ms;
  }
  void RemoveVolatile(KeyEntry* e);

  Dict<KeyEntry> dict_;
  std::vector<KeyEntry*> volatile_;
  uint64_t expired_ = 0;
};

}  // namespace kora
