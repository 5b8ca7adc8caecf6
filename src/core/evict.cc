#include "core/evict.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kora {

bool ParseEvictPolicy(std::string_view name, EvictPolicy* out) {
  static constexpr std::pair<std::string_view, EvictPolicy> kNames[] = {
      {"noeviction", EvictPolicy::kNoEviction},
      {"allkeys-lru", EvictPolicy::kAllKeysLru},
      {"allkeys-lfu", EvictPolicy::kAllKeysLfu},
      {"allkeys-random", EvictPolicy::kAllKeysRandom},
      {"volatile-lru", EvictPolicy::kVolatileLru},
      {"volatile-lfu", EvictPolicy::kVolatileLfu},
      {"volatile-random", EvictPolicy::kVolatileRandom},
      {"volatile-ttl", EvictPolicy::kVolatileTtl},
  };
  for (const auto& [n, p] : kNames) {
    if (n.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < n.size() && eq; ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      eq = c == n[i];
    }
    if (eq) {
      *out = p;
      return true;
    }
  }
  return false;
}

uint64_t EvictionTimeLimitUs(int tenacity) {
  if (tenacity <= 10) return 50ULL * static_cast<uint64_t>(tenacity);  // 0..500 us
  if (tenacity < 100) return static_cast<uint64_t>(500.0 * std::pow(1.15, tenacity - 10.0));
  return std::numeric_limits<uint64_t>::max();  // no limit
}

void EvictionPool::Clear() {
  for (auto& c : pool_) c.db = -1;
}

// Redis's evictionPoolPopulate insertion: the pool stays sorted by ascending score with the
// empty slots on the right; a candidate worse than every entry of a full pool is dropped, and
// inserting into a full pool drops the worst (leftmost) entry.
void EvictionPool::Insert(uint64_t score, int db, std::string_view key) {
  int k = 0;
  while (k < kSize && pool_[k].db >= 0 && pool_[k].score < score) ++k;
  if (k == 0 && pool_[kSize - 1].db >= 0) return;
  if (k < kSize && pool_[k].db < 0) {
    // An empty slot: nothing to shift.
  } else if (pool_[kSize - 1].db < 0) {
    // Room on the right: shift [k, end) one to the right (the empty last slot comes to k).
    std::rotate(pool_.begin() + k, pool_.end() - 1, pool_.end());
  } else {
    // Full: drop the leftmost (worst) entry, shift [1, k) one to the left, insert at k-1.
    --k;
    std::rotate(pool_.begin(), pool_.begin() + 1, pool_.begin() + k + 1);
  }
  Candidate& c = pool_[k];
  c.score = score;
  c.db = db;
  c.key.assign(key.data(), key.size());
}

void EvictionPool::Populate(int db_index, DbTable& db, EvictPolicy policy, int samples,
                            int64_t now_ms, std::mt19937_64& rng) {
  bool vol = IsVolatilePolicy(policy);
  const auto& volatile_keys = db.volatile_entries();
  for (int i = 0; i < samples; ++i) {
    KeyEntry* e;
    if (vol) {
      if (volatile_keys.empty()) return;
      size_t at = std::uniform_int_distribution<size_t>(0, volatile_keys.size() - 1)(rng);
      e = volatile_keys[at];
    } else {
      e = db.dict().Random(rng);
    }
    if (e == nullptr) return;
    uint64_t score;
    switch (policy) {
      case EvictPolicy::kAllKeysLru:
      case EvictPolicy::kVolatileLru:
        score = DbTable::IdleMs(e, now_ms);
        break;
      case EvictPolicy::kAllKeysLfu:
      case EvictPolicy::kVolatileLfu:
        score = 255 - db.LfuValue(e, now_ms);
        break;
      default:  // volatile-ttl: the sooner the deadline, the better the victim
        score = std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(e->expire_at);
        break;
    }
    Insert(score, db_index, e->Key());
  }
}

KeyEntry* EvictionPool::SelectRandom(DbTable* const* dbs, int ndb, bool volatile_only,
                                     std::mt19937_64& rng, int* db_index) {
  for (int i = 0; i < ndb; ++i) {
    int j = (++next_db_) % ndb;
    next_db_ %= ndb;
    DbTable& db = *dbs[j];
    KeyEntry* e = nullptr;
    if (volatile_only) {
      const auto& v = db.volatile_entries();
      if (!v.empty()) e = v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
    } else if (db.size() != 0) {
      e = db.dict().Random(rng);
    }
    if (e != nullptr) {
      *db_index = j;
      return e;
    }
  }
  return nullptr;
}

KeyEntry* EvictionPool::SelectVictim(DbTable* const* dbs, int ndb, EvictPolicy policy,
                                     int samples, int64_t now_ms, std::mt19937_64& rng,
                                     int* db_index) {
  bool vol = IsVolatilePolicy(policy);
  if (policy == EvictPolicy::kNoEviction) return nullptr;
  if (policy == EvictPolicy::kAllKeysRandom || policy == EvictPolicy::kVolatileRandom) {
    return SelectRandom(dbs, ndb, vol, rng, db_index);
  }
  for (;;) {
    size_t total = 0;
    for (int i = 0; i < ndb; ++i) {
      size_t n = vol ? dbs[i]->volatile_count() : dbs[i]->size();
      if (n == 0) continue;
      Populate(i, *dbs[i], policy, samples, now_ms, rng);
      total += n;
    }
    if (total == 0) return nullptr;
    // The best candidate is the rightmost one whose key still exists (with a deadline, for the
    // volatile policies); entries that vanished since they were sampled are dropped.
    for (int k = kSize - 1; k >= 0; --k) {
      Candidate& c = pool_[k];
      if (c.db < 0) continue;
      int db = c.db;
      KeyEntry* e = c.db < ndb ? dbs[db]->dict().Find(c.key) : nullptr;
      // Remove the entry: shift the ones on its right one to the left.
      c.db = -1;
      std::rotate(pool_.begin() + k, pool_.begin() + k + 1, pool_.end());
      if (e != nullptr && (!vol || e->expire_at != 0)) {
        *db_index = db;
        return e;
      }
    }
  }
}

}  // namespace kora
