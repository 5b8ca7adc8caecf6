#include "core/evict.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kora {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

// A table whose keys k0..k{n-1} were last accessed i seconds before kT0 + n s (k0 oldest).
void FillAged(DbTable& db, int n) {
  for (int i = 0; i < n; ++i) {
    db.Find("clock", kT0 + int64_t{i} * 1000);  // advances the table's LRU clock
    db.Insert("k" + std::to_string(i), Value::Int(i));
  }
}

TEST(EvictionPool, LruEvictsTheIdlestFirst) {
  DbTable db;
  FillAged(db, 10);
  DbTable* dbs[] = {&db};
  EvictionPool pool;
  std::mt19937_64 rng(7);
  std::set<std::string> evicted;
  for (int i = 0; i < 3; ++i) {
    int idx = -1;
    KeyEntry* e = pool.SelectVictim(dbs, 1, EvictPolicy::kAllKeysLru, 200, kT0 + 20'000, rng, &idx);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(idx, 0);
    evicted.insert(std::string(e->Key()));
    db.Erase(e);
  }
  EXPECT_EQ(evicted, (std::set<std::string>{"k0", "k1", "k2"}));
}

TEST(EvictionPool, LfuEvictsTheLeastUsedFirst) {
  DbTable db;
  LfuParams lfu;
  lfu.log_factor = 0;  // every access counts
  db.BindLfuParams(&lfu);
  db.Find("none", kT0);  // the table's clock: new keys were accessed at kT0
  for (int i = 0; i < 6; ++i) db.Insert("k" + std::to_string(i), Value::Int(i));
  for (int i = 1; i < 6; ++i) {
    for (int a = 0; a < i * 3; ++a) db.Find("k" + std::to_string(i), kT0);
  }
  EXPECT_EQ(db.LfuValue(db.Peek("k5", kT0), kT0), kLfuInitVal + 15);
  DbTable* dbs[] = {&db};
  EvictionPool pool;
  std::mt19937_64 rng(7);
  int idx = -1;
  KeyEntry* e = pool.SelectVictim(dbs, 1, EvictPolicy::kAllKeysLfu, 100, kT0, rng, &idx);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->Key(), "k0");
}

TEST(EvictionPool, VolatileTtlTakesTheNearestDeadlineAndOnlyVolatileKeys) {
  DbTable db;
  for (int i = 0; i < 5; ++i) db.Insert("p" + std::to_string(i), Value::Int(i));
  for (int i = 0; i < 5; ++i) {
    db.SetExpire(db.Insert("v" + std::to_string(i), Value::Int(i)), kT0 + 1000 * (5 - i));
  }
  DbTable* dbs[] = {&db};
  EvictionPool pool;
  std::mt19937_64 rng(3);
  for (int expect = 4; expect >= 0; --expect) {
    int idx = -1;
    KeyEntry* e = pool.SelectVictim(dbs, 1, EvictPolicy::kVolatileTtl, 100, kT0, rng, &idx);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->Key(), "v" + std::to_string(expect));
    db.Erase(e);
  }
  int idx = -1;
  EXPECT_EQ(pool.SelectVictim(dbs, 1, EvictPolicy::kVolatileTtl, 5, kT0, rng, &idx), nullptr);
  EXPECT_EQ(pool.SelectVictim(dbs, 1, EvictPolicy::kVolatileRandom, 5, kT0, rng, &idx), nullptr);
  EXPECT_EQ(db.size(), 5u);
}

TEST(EvictionPool, RandomVisitsEveryDatabase) {
  DbTable a, b;
  a.Insert("x", Value::Int(1));
  b.Insert("y", Value::Int(2));
  DbTable* dbs[] = {&a, &b};
  EvictionPool pool;
  std::mt19937_64 rng(1);
  std::set<int> seen;
  for (int i = 0; i < 4; ++i) {
    int idx = -1;
    ASSERT_NE(pool.SelectVictim(dbs, 2, EvictPolicy::kAllKeysRandom, 5, kT0, rng, &idx), nullptr);
    seen.insert(idx);
  }
  EXPECT_EQ(seen, (std::set<int>{0, 1}));
}

TEST(Lfu, DecaysOnePerPeriodOfMinutes) {
  DbTable db;
  LfuParams lfu;
  lfu.log_factor = 0;
  db.BindLfuParams(&lfu);
  db.Find("none", kT0);
  KeyEntry* e = db.Insert("k", Value::Int(1));
  for (int i = 0; i < 10; ++i) db.Find("k", kT0);
  EXPECT_EQ(db.LfuValue(e, kT0), kLfuInitVal + 10);
  EXPECT_EQ(db.LfuValue(e, kT0 + 3 * 60'000), kLfuInitVal + 7);  // 3 minutes: -3
  lfu.decay_time = 2;
  EXPECT_EQ(db.LfuValue(e, kT0 + 3 * 60'000), kLfuInitVal + 9);  // 1 period of 2 minutes
  lfu.decay_time = 0;
  EXPECT_EQ(db.LfuValue(e, kT0 + 3600'000), kLfuInitVal + 10);  // never decays
}

TEST(EvictPolicy, ParsesRedisNames) {
  EvictPolicy p;
  EXPECT_TRUE(ParseEvictPolicy("allkeys-lru", &p));
  EXPECT_EQ(p, EvictPolicy::kAllKeysLru);
  EXPECT_TRUE(ParseEvictPolicy("VOLATILE-TTL", &p));
  EXPECT_EQ(p, EvictPolicy::kVolatileTtl);
  EXPECT_FALSE(ParseEvictPolicy("lru", &p));
  EXPECT_EQ(EvictionTimeLimitUs(10), 500u);
  EXPECT_EQ(EvictionTimeLimitUs(0), 0u);
}

}  // namespace
}  // namespace kora
