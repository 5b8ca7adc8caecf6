#include "core/db_table.h"

#include <gtest/gtest.h>

#include "base/clock.h"

namespace kora {
namespace {

TEST(DbTable, LazyExpiry) {
  DbTable db;
  KeyEntry* e = db.Insert("k", Value::String("v"));
  db.SetExpire(e, 1000);
  EXPECT_NE(db.Find("k", 999), nullptr);
  EXPECT_EQ(db.Find("k", 1000), nullptr);
  EXPECT_EQ(db.size(), 0u);
  EXPECT_EQ(db.volatile_count(), 0u);
  EXPECT_EQ(db.expired_keys(), 1u);
}

TEST(DbTable, ActiveExpireReclaimsAll) {
  DbTable db;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) db.SetExpire(db.Insert("k" + std::to_string(i), Value::Int(i)), 5);
  for (int i = 0; i < 10; ++i) db.Insert("p" + std::to_string(i), Value::Int(i));
  while (db.volatile_count() > 0) db.ActiveExpire(10, MonotonicUs() + 1000000, rng);
  EXPECT_EQ(db.size(), 10u);
}

TEST(DbTable, FindTouchesPeekDoesNot) {
  DbTable db;
  const int64_t t0 = 1'700'000'000'000;
  db.Find("missing", t0);  // the table's clock: new keys start idle at t0
  KeyEntry* e = db.Insert("k", Value::String("v"));
  EXPECT_EQ(e->lfu_counter, kLfuInitVal);
  EXPECT_EQ(DbTable::IdleMs(e, t0 + 5'000), 5'000u);
  EXPECT_EQ(db.Peek("k", t0 + 5'000), e);
  EXPECT_EQ(DbTable::IdleMs(e, t0 + 5'000), 5'000u);  // Peek is not an access
  EXPECT_EQ(e->lfu_counter, kLfuInitVal);
  EXPECT_EQ(db.Find("k", t0 + 5'000), e);
  EXPECT_EQ(DbTable::IdleMs(e, t0 + 5'000), 0u);
  EXPECT_EQ(e->lfu_counter, kLfuInitVal + 1);  // LFULogIncr at the initial value: always +1
}

TEST(DbTable, LfuCounterIsLogarithmicAndDecays) {
  DbTable db;
  const int64_t t0 = 1'700'000'036'000;  // LRU clock on a minute boundary (decay counts minutes)
  db.Find("none", t0);
  KeyEntry* e = db.Insert("k", Value::Int(1));
  for (int i = 0; i < 1000; ++i) db.Find("k", t0);
  // Redis reaches about 18 after 1000 hits with lfu-log-factor 10 (redis.conf's table: 100
  // hits -> 10, 1000 -> 18).
  EXPECT_GE(e->lfu_counter, 13);
  EXPECT_LE(e->lfu_counter, 24);
  uint8_t c = DbTable::LfuCount(e, t0);
  EXPECT_EQ(DbTable::LfuCount(e, t0 + 59'000), c);
  EXPECT_EQ(DbTable::LfuCount(e, t0 + 3 * 60'000), c - 3);  // lfu-decay-time 1: -1 per minute
  EXPECT_EQ(DbTable::LfuCount(e, t0 + 1000 * 60'000), 0);
}

TEST(DbTable, DetachAttachKeepsDeadlineAcrossTables) {
  DbTable a, b;
  KeyEntry* e = a.Insert("k", Value::String("v"));
  a.SetExpire(e, 5000);
  int64_t at = e->expire_at;
  a.Detach(e);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.volatile_count(), 0u);
  b.Attach(e, at);
  EXPECT_EQ(b.Peek("k", 4999), e);
  EXPECT_EQ(b.volatile_count(), 1u);
  EXPECT_EQ(b.Peek("k", 5000), nullptr);
  EXPECT_EQ(b.size(), 0u);
}

// Memory by prefix agrees with the sum of EntryMemoryUsage over the keys, whatever the writes.
int64_t SumUnder(DbTable& db, std::string_view prefix) {
  int64_t n = 0;
  db.dict().ForEach([&](KeyEntry* e) {
    if (e->Key().substr(0, prefix.size()) == prefix) n += static_cast<int64_t>(EntryMemoryUsage(*e));
  });
  return n;
}

TEST(DbTable, PrefixMemoryFollowsEveryWrite) {
  DbTable db, other;
  bool write_mode = true;
  uint32_t counter = 0;
  std::vector<DbTable*> dirty;
  for (DbTable* t : {&db, &other}) {
    t->BindVersioning(&write_mode, &counter);
    t->BindDirtyList(&dirty);
  }
  db.Insert("before:1", Value::String(std::string(100, 'x')));  // exists before enabling
  db.EnablePrefixMemory(':', 2);
  other.EnablePrefixMemory(':', 2);
  auto flush = [&] {
    for (DbTable* t : dirty) t->FlushPrefixMemory();
    dirty.clear();
  };
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string key = (rng() % 2 ? "user:" : "item:") + std::to_string(rng() % 50) +
                      (rng() % 3 ? ":x" : "");
    switch (rng() % 5) {
      case 0:
      case 1: {  // set, possibly growing a string found by a write lookup
        KeyEntry* e = db.Find(key, 1);
        std::string v(rng() % 300, 'v');
        if (e) {
          e->value = Value::String(v);
        } else {
          db.Insert(key, Value::String(v));
        }
        break;
      }
      case 2:
        db.Erase(key);
        break;
      case 3: {  // move to the other table and back (MOVE), keeping the entry
        KeyEntry* e = db.Find(key, 1);
        if (e && other.Peek(key, 1) == nullptr) {
          other.Attach(db.Detach(e), 0);
          if (rng() % 2) db.Attach(other.Detach(other.Peek(key, 1)), 0);
        }
        break;
      }
      case 4:
        if (rng() % 2) flush();
        break;
    }
  }
  flush();
  for (std::string_view p : {"", "user:", "item:", "user:7:", "item:13:", "before:"}) {
    EXPECT_EQ(db.prefix_memory()->Get(p).bytes, SumUnder(db, p)) << p;
    EXPECT_EQ(other.prefix_memory()->Get(p).bytes, SumUnder(other, p)) << p;
  }
  EXPECT_EQ(db.prefix_memory()->Get("").keys, static_cast<int64_t>(db.size()));
  // A change of depth rebuilds; SWAPDB carries the totals along; FLUSHDB empties them.
  db.EnablePrefixMemory(':', 1);
  EXPECT_EQ(db.prefix_memory()->Get("user:7:").bytes, 0);
  EXPECT_EQ(db.prefix_memory()->Get("user:").bytes, SumUnder(db, "user:"));
  db.Swap(other);
  EXPECT_EQ(db.prefix_memory()->Get("user:").bytes, SumUnder(db, "user:"));
  EXPECT_EQ(other.prefix_memory()->Get("user:").bytes, SumUnder(other, "user:"));
  other.Clear();
  EXPECT_EQ(other.prefix_memory()->Get("").bytes, 0);
  db.EnablePrefixMemory(':', 0);
  EXPECT_EQ(db.prefix_memory(), nullptr);
}

TEST(Value, EncodingsFollowRedis) {
  EXPECT_STREQ(Value::String("12345").encoding_name(), "int");
  EXPECT_STREQ(Value::String("012").encoding_name(), "embstr");
  EXPECT_STREQ(Value::String(std::string(44, 'a')).encoding_name(), "embstr");
  EXPECT_STREQ(Value::String(std::string(45, 'a')).encoding_name(), "raw");
  EXPECT_STREQ(Value::RawString("a").encoding_name(), "raw");
}

// Every storage (inline, heap block, std::string, integer) through moves, clones, in-place
// assignment and MutableRaw keeps the bytes and the encoding Redis would report.
TEST(Value, StorageRoundTrips) {
  std::string scratch;
  for (size_t len : {0, 1, 22, 23, 44, 45, 300}) {
    std::string s(len, 'x');
    if (len > 0) s[len - 1] = 'y';
    Value v = Value::String(s);
    EXPECT_EQ(v.StrView(&scratch), s);
    EXPECT_EQ(v.StrLen(), len);
    Value moved = std::move(v);
    EXPECT_EQ(moved.StrView(&scratch), s);
    EXPECT_EQ(v.StrView(&scratch), "");  // NOLINT: a moved-from value is the empty string
    Value copy = moved.Clone();
    EXPECT_EQ(copy.StrView(&scratch), s);
    std::string other(len, 'z');  // same length: the heap block is reused
    copy.AssignString(other);
    EXPECT_EQ(copy.StrView(&scratch), other);
    EXPECT_EQ(moved.StrView(&scratch), s);
    EXPECT_STREQ(copy.encoding_name(), len <= 44 ? "embstr" : "raw");
    copy.AssignString("-42");
    EXPECT_TRUE(copy.is_int());
    EXPECT_EQ(copy.int_value(), -42);
    EXPECT_EQ(copy.StrLen(), 3u);
    copy.MutableRaw() += "0";
    EXPECT_EQ(copy.StrView(&scratch), "-420");
    EXPECT_STREQ(copy.encoding_name(), "raw");
    copy.AssignString(s);
    EXPECT_EQ(copy.StrView(&scratch), s);
    EXPECT_EQ(copy.MemoryUsage(), moved.MemoryUsage());
  }
  EXPECT_EQ(Value::Int(INT64_MIN).StrLen(), 20u);
  EXPECT_EQ(Value::Int(0).StrLen(), 1u);
}

}  // namespace
}  // namespace kora
