// kora::Database from many application threads at once, with keys on every shard.
// Invariant: every call is one atomic command, so counts are exact and multi-key writes are
// never seen half-done, however the calls interleave.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "kora/database.h"

namespace kora {
namespace {

constexpr int kThreads = 8;

std::unique_ptr<Database> OpenDb(int shards) {
  Config cfg;
  cfg.shard_count = shards;
  auto db = Database::Open(cfg);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

template <class Fn>
void RunThreads(int n, Fn fn) {
  std::vector<std::thread> ts;
  for (int t = 0; t < n; ++t) ts.emplace_back(fn, t);
  for (auto& t : ts) t.join();
}

TEST(DatabaseConcurrency, CountersOnEveryShardAreExact) {
  auto db = OpenDb(4);
  ASSERT_TRUE(db);
  constexpr int kKeys = 64;  // spread over all 4 shards
  constexpr int kRounds = 500;
  std::atomic<int> failures{0};
  RunThreads(kThreads, [&](int t) {
    for (int r = 0; r < kRounds; ++r) {
      for (int k = 0; k < kKeys; k += 1 + (t + r) % 3) {
        if (!db->Incr("counter:" + std::to_string(k)).ok()) ++failures;
      }
    }
  });
  EXPECT_EQ(failures.load(), 0);
  // Expected per key: the same loop, counted.
  for (int k = 0; k < kKeys; ++k) {
    int64_t want = 0;
    for (int t = 0; t < kThreads; ++t) {
      for (int r = 0; r < kRounds; ++r) {
        for (int j = 0; j < kKeys; j += 1 + (t + r) % 3) want += j == k;
      }
    }
    auto got = db->Get("counter:" + std::to_string(k));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->value_or("0"), std::to_string(want)) << k;
  }
}

TEST(DatabaseConcurrency, CollectionsGrowByExactlyWhatWasAdded) {
  auto db = OpenDb(4);
  ASSERT_TRUE(db);
  constexpr int kPerThread = 1000;
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string item = std::to_string(t) + ":" + std::to_string(i);
      ASSERT_TRUE(db->RPush("list:" + std::to_string(i % 16), {item}).ok());
      ASSERT_TRUE(db->SAdd("set:" + std::to_string(i % 16), {item}).ok());
      ASSERT_TRUE(db->HSet("hash:" + std::to_string(i % 16), item, "1").ok());
      ASSERT_TRUE(db->ZAdd("zset:" + std::to_string(i % 16), i, item).ok());
    }
  });
  int64_t list = 0, set = 0, hash = 0, zset = 0;
  for (int k = 0; k < 16; ++k) {
    std::string n = std::to_string(k);
    list += db->LLen("list:" + n).value();
    set += static_cast<int64_t>(db->SMembers("set:" + n).value().size());
    hash += static_cast<int64_t>(db->HGetAll("hash:" + n).value().size());
    zset += db->Execute({"ZCARD", "zset:" + n}).value().integer();
  }
  EXPECT_EQ(list, kThreads * kPerThread);
  EXPECT_EQ(set, kThreads * kPerThread);
  EXPECT_EQ(hash, kThreads * kPerThread);
  EXPECT_EQ(zset, kThreads * kPerThread);
}

TEST(DatabaseConcurrency, MultiKeyWritesAreNeverSeenHalfDone) {
  auto db = OpenDb(4);
  ASSERT_TRUE(db);
  // Keys chosen to live on different shards (different slots).
  std::vector<std::string> keys = {"pair:a", "pair:b", "pair:c", "pair:d", "pair:e", "pair:f"};
  std::vector<Database::Pair> init;
  for (auto& k : keys) init.emplace_back(k, "0");
  ASSERT_TRUE(db->MSet(init).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread writer([&] {
    for (int v = 1; v <= 1500; ++v) {
      std::string val = std::to_string(v);
      std::vector<Database::Pair> kv;
      for (auto& k : keys) kv.emplace_back(k, val);
      ASSERT_TRUE(db->MSet(kv).ok());
    }
    stop = true;
  });
  RunThreads(kThreads - 1, [&](int) {
    while (!stop) {
      auto got = db->MGet(keys);
      ASSERT_TRUE(got.ok());
      for (auto& v : *got) {
        if (v != (*got)[0]) ++torn;
      }
      ++reads;
    }
  });
  writer.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(db->Get("pair:f").value(), "1500");
}

TEST(DatabaseConcurrency, ManyThreadsManyCommandsManyDatabases) {
  // Two databases used by the same threads at once stay independent.
  auto a = OpenDb(3);
  auto b = OpenDb(2);
  ASSERT_TRUE(a && b);
  RunThreads(kThreads, [&](int t) {
    for (int i = 0; i < 300; ++i) {
      std::string k = "k" + std::to_string(t) + ":" + std::to_string(i);
      ASSERT_TRUE(a->Set(k, "a").ok());
      ASSERT_TRUE(b->Set(k, "b").ok());
      ASSERT_EQ(a->Get(k).value(), "a");
      ASSERT_EQ(b->Get(k).value(), "b");
      ASSERT_TRUE(a->Execute({"PING"}).ok());
      if (i % 50 == 0) {
        ASSERT_TRUE(b->Keys("k" + std::to_string(t) + ":*").ok());
      }
    }
  });
  EXPECT_EQ(a->Execute({"DBSIZE"}).value().integer(), kThreads * 300);
  EXPECT_EQ(b->Execute({"DBSIZE"}).value().integer(), kThreads * 300);
  EXPECT_EQ(a->Del({"k0:0"}).value(), 1);
  EXPECT_EQ(b->Exists({"k0:0"}).value(), 1);
}

TEST(DatabaseConcurrency, BlockedCallersAreReleasedByOtherThreads) {
  auto db = OpenDb(4);
  ASSERT_TRUE(db);
  constexpr int kConsumers = 4;
  constexpr int kJobs = 200;
  std::atomic<int> consumed{0};
  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&] {
      while (true) {
        auto r = db->Execute({"BLPOP", "jobs", "5"});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        if (r->is_nil()) return;  // no job for 5 s: should not happen before the end
        if (r->elements()[1].str() == "stop") return;
        ++consumed;
      }
    });
  }
  for (int j = 0; j < kJobs; ++j) ASSERT_TRUE(db->RPush("jobs", {"job"}).ok());
  for (int c = 0; c < kConsumers; ++c) ASSERT_TRUE(db->RPush("jobs", {"stop"}).ok());
  for (auto& t : consumers) t.join();
  EXPECT_EQ(consumed.load(), kJobs);
  EXPECT_EQ(db->LLen("jobs").value(), 0);
}

}  // namespace
}  // namespace kora
