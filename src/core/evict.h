// Key eviction for maxmemory: the policies, their parameters, and Redis's sampling eviction
// pool, applied to the databases of one shard.
//
// Redis's algorithm (evict.c), per shard: each round samples `maxmemory-samples` keys from every
// non-empty database (all keys, or only those with a deadline for volatile-* policies), scores
// them (LRU: idle time; LFU: 255 - decayed counter; TTL: earlier deadline is better) and merges
// them into a 16-entry pool sorted by score that survives between rounds, so candidates seen
// earlier keep competing. The victim is the best pool entry whose key still exists. The random
// policies pick a random key of the next non-empty database instead. An EvictionPool belongs to
// one shard and is used only on that shard's thread. The cross-shard part (which shard evicts
// how much) lives in commands/memory_evict.cc; see docs/design/memory.md.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "core/db_table.h"

namespace kora {

enum class EvictPolicy : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
};

// Parses a maxmemory-policy name; false when unknown.
bool ParseEvictPolicy(std::string_view name, EvictPolicy* out);
inline bool IsVolatilePolicy(EvictPolicy p) {
  return p == EvictPolicy::kVolatileLru || p == EvictPolicy::kVolatileLfu ||
         p == EvictPolicy::kVolatileRandom || p == EvictPolicy::kVolatileTtl;
}

// The maxmemory parameters, mirrored from CONFIG by their change hooks and read with relaxed
// loads from any thread.
struct EvictParams {
  std::atomic<uint64_t> maxmemory{0};
  std::atomic<EvictPolicy> policy{EvictPolicy::kNoEviction};
  std::atomic<int> samples{5};
  std::atomic<int> tenacity{10};
  LfuParams lfu;  // lfu-log-factor, lfu-decay-time (also read by DbTable lookups)
};

// Redis's evictionTimeLimitUs: how long one eviction pass may run before it yields.
uint64_t EvictionTimeLimitUs(int tenacity);

class EvictionPool {
 public:
  static constexpr int kSize = 16;  // EVPOOL_SIZE

  // Chooses the key to evict among dbs[0..ndb) under `policy` (not kNoEviction). Returns the
  // entry (still linked) and its database index, or nullptr when nothing is evictable.
  KeyEntry* SelectVictim(DbTable* const* dbs, int ndb, EvictPolicy policy, int samples,
                         int64_t now_ms, std::mt19937_64& rng, int* db_index);

  // Forgets every candidate (after FLUSHALL/SWAPDB nothing stale should linger).
  void Clear();

 private:
  struct Candidate {
    uint64_t score = 0;  // higher is a better victim
    int db = -1;         // -1: empty slot
    std::string key;
  };
  void Populate(int db_index, DbTable& db, EvictPolicy policy, int samples, int64_t now_ms,
                std::mt19937_64& rng);
  void Insert(uint64_t score, int db, std::string_view key);
  KeyEntry* SelectRandom(DbTable* const* dbs, int ndb, bool volatile_only, std::mt19937_64& rng,
                         int* db_index);

  std::array<Candidate, kSize> pool_;
  int next_db_ = 0;  // the random policies' database cursor
};

}  // namespace kora
