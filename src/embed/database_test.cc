// Every typed method and Execute of kora::Database, on 4 shards so that multi-key commands
// cross shards. Replies must match what Redis answers for the same commands.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "kora/database.h"

namespace kora {
namespace {

using Strs = std::vector<std::string>;
using OptStrs = std::vector<std::optional<std::string>>;

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config cfg;
    cfg.shard_count = 4;
    auto opened = Database::Open(cfg);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_ = std::move(opened).value();
  }
  std::unique_ptr<Database> db_;
};

Strs Sorted(Strs v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(DatabaseTest, OpenUsesTheRequestedShards) { EXPECT_EQ(db_->shard_count(), 4); }

TEST_F(DatabaseTest, SetGet) {
  ASSERT_TRUE(db_->Set("user:1", "Augustus").ok());
  auto v = db_->Get("user:1");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, std::optional<std::string>("Augustus"));
  auto missing = db_->Get("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  // Binary-safe keys and values, empty and large values.
  std::string bin("a\0b\r\nc", 6);
  ASSERT_TRUE(db_->Set(bin, bin).ok());
  EXPECT_EQ(db_->Get(bin).value(), bin);
  ASSERT_TRUE(db_->Set("empty", "").ok());
  EXPECT_EQ(db_->Get("empty").value(), std::string());
  std::string big(1 << 20, 'x');
  ASSERT_TRUE(db_->Set("big", big).ok());
  EXPECT_EQ(db_->Get("big").value(), big);
}

TEST_F(DatabaseTest, SetExAndTtl) {
  ASSERT_TRUE(db_->SetEx("session", 100, "s").ok());
  EXPECT_EQ(db_->Get("session").value(), "s");
  auto ttl = db_->Ttl("session");
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(*ttl, 98);
  EXPECT_LE(*ttl, 100);
  EXPECT_EQ(db_->Ttl("nope").value(), -2);
  ASSERT_TRUE(db_->Set("forever", "x").ok());
  EXPECT_EQ(db_->Ttl("forever").value(), -1);
  // SET clears the TTL, as in Redis.
  ASSERT_TRUE(db_->Set("session", "t").ok());
  EXPECT_EQ(db_->Ttl("session").value(), -1);
}

TEST_F(DatabaseTest, ExpireMakesKeysDisappear) {
  ASSERT_TRUE(db_->Set("k", "v").ok());
  EXPECT_EQ(db_->Expire("k", 100).value(), true);
  EXPECT_EQ(db_->Expire("missing", 100).value(), false);
  EXPECT_GT(db_->Ttl("k").value(), 0);
  auto r = db_->Execute({"PEXPIRE", "k", "20"});
  ASSERT_TRUE(r.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_FALSE(db_->Get("k").value().has_value());
  EXPECT_EQ(db_->Exists({"k"}).value(), 0);
}

TEST_F(DatabaseTest, IncrDecr) {
  EXPECT_EQ(db_->Incr("n").value(), 1);
  EXPECT_EQ(db_->IncrBy("n", 41).value(), 42);
  EXPECT_EQ(db_->Decr("n").value(), 41);
  EXPECT_EQ(db_->DecrBy("n", 50).value(), -9);
  EXPECT_EQ(db_->Get("n").value(), "-9");
  EXPECT_EQ(db_->IncrBy("m", INT64_MIN).value(), INT64_MIN);
  ASSERT_TRUE(db_->Set("max", "9223372036854775807").ok());
  auto overflow = db_->Incr("max");
  EXPECT_EQ(overflow.status().code(), StatusCode::kCommandError);
  EXPECT_EQ(overflow.status().message(), "ERR increment or decrement would overflow");
}

TEST_F(DatabaseTest, MSetMGetAcrossShards) {
  // Many keys so that every shard holds some.
  std::vector<std::pair<std::string, std::string>> kv;
  for (int i = 0; i < 64; ++i) kv.emplace_back("key:" + std::to_string(i), "v" + std::to_string(i));
  ASSERT_TRUE(db_->MSet(kv).ok());
  std::vector<std::string> keys;
  for (auto& [k, v] : kv) keys.push_back(k);
  keys.push_back("missing");
  auto got = db_->MGet(keys);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 65u);
  for (int i = 0; i < 64; ++i) EXPECT_EQ((*got)[i], "v" + std::to_string(i));
  EXPECT_FALSE((*got)[64].has_value());

  ASSERT_TRUE(db_->MSet({{"a", "1"}, {"b", "2"}}).ok());
  EXPECT_EQ(db_->MGet({"a", "b", "c"}).value(), (OptStrs{"1", "2", std::nullopt}));
  std::vector<Database::Pair> pairs = {{"c", "3"}};
  ASSERT_TRUE(db_->MSet(pairs).ok());
  std::vector<std::string_view> views = {"a", "c"};
  EXPECT_EQ(db_->MGet(views).value(), (OptStrs{"1", "3"}));
  // A non-string key reads as nil in MGET, as in Redis.
  ASSERT_TRUE(db_->LPush("list", {"x"}).ok());
  EXPECT_EQ(db_->MGet({"a", "list"}).value(), (OptStrs{"1", std::nullopt}));
}

TEST_F(DatabaseTest, DelExistsCountRepeats) {
  ASSERT_TRUE(db_->MSet({{"a", "1"}, {"b", "2"}, {"c", "3"}}).ok());
  EXPECT_EQ(db_->Exists({"a", "b", "a", "zz"}).value(), 3);
  std::vector<std::string> owned = {"a", "zz"};
  EXPECT_EQ(db_->Del(owned).value(), 1);
  std::vector<std::string_view> views = {"b", "c"};
  EXPECT_EQ(db_->Exists(views).value(), 2);
  EXPECT_EQ(db_->Del(views).value(), 2);
  EXPECT_EQ(db_->Exists({"a", "b", "c"}).value(), 0);
  EXPECT_EQ(db_->Del({"a"}).value(), 0);
}

TEST_F(DatabaseTest, KeysAndScanSeeEveryShard) {
  Strs want;
  for (int i = 0; i < 100; ++i) {
    std::string k = "scan:" + std::to_string(i);
    ASSERT_TRUE(db_->Set(k, "v").ok());
    want.push_back(k);
  }
  ASSERT_TRUE(db_->Set("other", "v").ok());
  EXPECT_EQ(Sorted(db_->Keys("scan:*").value()), Sorted(want));
  EXPECT_EQ(db_->Keys("*").value().size(), 101u);
  EXPECT_TRUE(db_->Keys("nomatch*").value().empty());

  Strs seen;
  uint64_t cursor = 0;
  int pages = 0;
  do {
    auto page = db_->Scan(cursor, "scan:*", 7);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    seen.insert(seen.end(), page->keys.begin(), page->keys.end());
    cursor = page->cursor;
    ASSERT_LT(++pages, 1000);
  } while (cursor != 0);
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(seen, Sorted(want));
  EXPECT_GT(pages, 1);

  // Without a pattern: every key.
  size_t all = 0;
  cursor = 0;
  do {
    auto page = db_->Scan(cursor);
    ASSERT_TRUE(page.ok());
    all += page->keys.size();
    cursor = page->cursor;
  } while (cursor != 0);
  EXPECT_GE(all, 101u);
}

TEST_F(DatabaseTest, Hashes) {
  EXPECT_EQ(db_->HSet("profile:1", "name", "Augustus").value(), 1);
  EXPECT_EQ(db_->HSet("profile:1", "name", "Octavian").value(), 0);
  EXPECT_EQ(db_->HGet("profile:1", "name").value(), "Octavian");
  EXPECT_FALSE(db_->HGet("profile:1", "nope").value().has_value());
  EXPECT_FALSE(db_->HGet("nokey", "name").value().has_value());
  EXPECT_EQ(db_->HSet("profile:1", {{"born", "63BC"}, {"title", "princeps"}}).value(), 2);
  std::vector<std::pair<std::string, std::string>> owned = {{"city", "Rome"}, {"born", "63 BC"}};
  EXPECT_EQ(db_->HSet("profile:1", owned).value(), 1);
  std::vector<Database::Pair> views = {{"x", "1"}};
  EXPECT_EQ(db_->HSet("profile:1", views).value(), 1);
  auto all = db_->HGetAll("profile:1");
  ASSERT_TRUE(all.ok());
  auto sorted = all.value();
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::pair<std::string, std::string>> want = {
      {"born", "63 BC"}, {"city", "Rome"}, {"name", "Octavian"}, {"title", "princeps"}, {"x", "1"}};
  EXPECT_EQ(sorted, want);
  EXPECT_TRUE(db_->HGetAll("nokey").value().empty());
  EXPECT_EQ(db_->HDel("profile:1", {"x", "nope"}).value(), 1);
  std::vector<std::string> f = {"city", "title"};
  EXPECT_EQ(db_->HDel("profile:1", f).value(), 2);
  std::vector<std::string_view> fv = {"born", "name"};
  EXPECT_EQ(db_->HDel("profile:1", fv).value(), 2);
  EXPECT_EQ(db_->Exists({"profile:1"}).value(), 0);  // the last field removes the key
}

TEST_F(DatabaseTest, Lists) {
  EXPECT_EQ(db_->LPush("queue", {"task-1", "task-2"}).value(), 2);
  EXPECT_EQ(db_->LRange("queue", 0, -1).value(), (Strs{"task-2", "task-1"}));
  EXPECT_EQ(db_->RPush("queue", {"task-3"}).value(), 3);
  std::vector<std::string> owned = {"a", "b"};
  EXPECT_EQ(db_->RPush("queue", owned).value(), 5);
  std::vector<std::string_view> views = {"z"};
  EXPECT_EQ(db_->LPush("queue", views).value(), 6);
  EXPECT_EQ(db_->LPush("queue", owned).value(), 8);
  EXPECT_EQ(db_->RPush("queue", views).value(), 9);
  EXPECT_EQ(db_->LLen("queue").value(), 9);
  EXPECT_EQ(db_->LRange("queue", 0, -1).value(),
            (Strs{"b", "a", "z", "task-2", "task-1", "task-3", "a", "b", "z"}));
  EXPECT_EQ(db_->LRange("queue", -2, -1).value(), (Strs{"b", "z"}));
  EXPECT_EQ(db_->LRange("queue", 5, 2).value(), Strs{});
  EXPECT_EQ(db_->LPop("queue").value(), "b");
  EXPECT_EQ(db_->RPop("queue").value(), "z");
  EXPECT_EQ(db_->LPop("queue", 2).value(), (Strs{"a", "z"}));
  EXPECT_EQ(db_->RPop("queue", 2).value(), (Strs{"b", "a"}));
  EXPECT_EQ(db_->LLen("queue").value(), 3);
  EXPECT_EQ(db_->RPop("queue", 10).value(), (Strs{"task-3", "task-1", "task-2"}));
  EXPECT_FALSE(db_->LPop("queue").value().has_value());
  EXPECT_FALSE(db_->RPop("queue").value().has_value());
  EXPECT_EQ(db_->LPop("queue", 3).value(), Strs{});
  EXPECT_EQ(db_->LLen("queue").value(), 0);
  EXPECT_EQ(db_->LRange("queue", 0, -1).value(), Strs{});
}

TEST_F(DatabaseTest, Sets) {
  EXPECT_EQ(db_->SAdd("tags", {"a", "b", "a"}).value(), 2);
  std::vector<std::string> owned = {"c", "b"};
  EXPECT_EQ(db_->SAdd("tags", owned).value(), 1);
  std::vector<std::string_view> views = {"d"};
  EXPECT_EQ(db_->SAdd("tags", views).value(), 1);
  EXPECT_EQ(Sorted(db_->SMembers("tags").value()), (Strs{"a", "b", "c", "d"}));
  EXPECT_TRUE(db_->SIsMember("tags", "a").value());
  EXPECT_FALSE(db_->SIsMember("tags", "zz").value());
  EXPECT_FALSE(db_->SIsMember("nokey", "a").value());
  EXPECT_EQ(db_->SRem("tags", {"a", "zz"}).value(), 1);
  EXPECT_EQ(db_->SRem("tags", owned).value(), 2);
  EXPECT_EQ(db_->SRem("tags", views).value(), 1);
  EXPECT_TRUE(db_->SMembers("tags").value().empty());
}

TEST_F(DatabaseTest, SortedSets) {
  EXPECT_EQ(db_->ZAdd("board", 10, "ann").value(), 1);
  EXPECT_EQ(db_->ZAdd("board", {{5, "bob"}, {20, "cy"}, {10, "ann"}}).value(), 2);
  std::vector<std::pair<double, std::string>> owned = {{1.5, "dee"}};
  EXPECT_EQ(db_->ZAdd("board", owned).value(), 1);
  std::vector<Database::ScoredMember> views = {{-std::numeric_limits<double>::infinity(), "low"},
                                              {0.1, "tenth"}};
  EXPECT_EQ(db_->ZAdd("board", views).value(), 2);
  EXPECT_EQ(db_->ZRange("board", 0, -1).value(),
            (Strs{"low", "tenth", "dee", "bob", "ann", "cy"}));
  EXPECT_EQ(db_->ZRange("board", -2, -1).value(), (Strs{"ann", "cy"}));
  auto ws = db_->ZRangeWithScores("board", 0, 2);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  ASSERT_EQ(ws->size(), 3u);
  EXPECT_EQ((*ws)[0].first, "low");
  EXPECT_TRUE(std::isinf((*ws)[0].second) && (*ws)[0].second < 0);
  EXPECT_EQ((*ws)[1], (std::pair<std::string, double>("tenth", 0.1)));  // exact round trip
  EXPECT_EQ((*ws)[2], (std::pair<std::string, double>("dee", 1.5)));
  EXPECT_EQ(db_->ZScore("board", "cy").value(), std::optional<double>(20));
  EXPECT_EQ(db_->ZScore("board", "tenth").value(), std::optional<double>(0.1));
  EXPECT_FALSE(db_->ZScore("board", "nobody").value().has_value());
  EXPECT_FALSE(db_->ZScore("nokey", "x").value().has_value());
  EXPECT_EQ(db_->ZRem("board", {"low", "nobody"}).value(), 1);
  std::vector<std::string> rm = {"tenth", "dee"};
  EXPECT_EQ(db_->ZRem("board", rm).value(), 2);
  std::vector<std::string_view> rmv = {"bob"};
  EXPECT_EQ(db_->ZRem("board", rmv).value(), 1);
  EXPECT_EQ(db_->ZRange("board", 0, -1).value(), (Strs{"ann", "cy"}));
  EXPECT_EQ(db_->ZRange("nokey", 0, -1).value(), Strs{});
}

TEST_F(DatabaseTest, ExecuteReturnsRESP3ShapedReplies) {
  auto pong = db_->Execute({"PING"});
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(pong->kind(), Reply::Kind::kStatus);
  EXPECT_EQ(pong->str(), "PONG");

  auto n = db_->Execute({"ZADD", "z", "1", "a", "2", "b"});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, Reply::Integer(2));
  auto score = db_->Execute({"ZSCORE", "z", "b"});
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->kind(), Reply::Kind::kDouble);
  EXPECT_EQ(score->dbl(), 2.0);

  ASSERT_TRUE(db_->HSet("h", "f", "v").ok());
  auto map = db_->Execute({"HGETALL", "h"});
  ASSERT_TRUE(map.ok());
  ASSERT_TRUE(map->is_map());
  ASSERT_EQ(map->size(), 1u);
  EXPECT_EQ(map->entries()[0].first, Reply::String("f"));
  EXPECT_EQ(map->entries()[0].second, Reply::String("v"));

  ASSERT_TRUE(db_->SAdd("s", {"m"}).ok());
  auto set = db_->Execute({"SMEMBERS", "s"});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->kind(), Reply::Kind::kSet);
  EXPECT_EQ(set->elements(), std::vector<Reply>{Reply::String("m")});

  auto nil = db_->Execute({"GET", "missing"});
  ASSERT_TRUE(nil.ok());
  EXPECT_TRUE(nil->is_nil());

  // The vector and span forms.
  std::vector<std::string> cmd = {"SET", "owned", "yes"};
  ASSERT_TRUE(db_->Execute(cmd).ok());
  std::vector<std::string_view> view = {"GET", "owned"};
  EXPECT_EQ(db_->Execute(view).value(), Reply::String("yes"));

  // Commands with no key and commands that need every shard.
  auto dbsize = db_->Execute({"DBSIZE"});
  ASSERT_TRUE(dbsize.ok());
  EXPECT_EQ(dbsize->integer(), 4);  // z h s owned
  auto info = db_->Execute({"INFO", "server"});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind(), Reply::Kind::kVerbatim);
  EXPECT_NE(info->str().find("redis_version"), std::string::npos);
  ASSERT_TRUE(db_->Execute({"FLUSHALL"}).ok());
  EXPECT_EQ(db_->Execute({"DBSIZE"}).value(), Reply::Integer(0));
  // Lower-case names work, as over RESP.
  EXPECT_EQ(db_->Execute({"echo", "hi"}).value(), Reply::String("hi"));
}

TEST_F(DatabaseTest, ExecuteMultiShardCoordinators) {
  ASSERT_TRUE(db_->MSet({{"k1", "a"}, {"k2", "b"}, {"k3", "c"}}).ok());
  auto r = db_->Execute({"RENAME", "k1", "renamed"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(db_->Get("renamed").value(), "a");
  EXPECT_EQ(db_->Execute({"MSETNX", "k2", "x", "new", "y"}).value(), Reply::Integer(0));
  EXPECT_EQ(db_->Execute({"DEL", "k2", "k3", "renamed"}).value(), Reply::Integer(3));
}

TEST_F(DatabaseTest, BlockingCommandsWaitForData) {
  // BLPOP with a timeout returns nil after it.
  auto timeout = db_->Execute({"BLPOP", "jobs", "0.05"});
  ASSERT_TRUE(timeout.ok()) << timeout.status().ToString();
  EXPECT_TRUE(timeout->is_nil());
  // A push from another thread releases a waiting BLPOP.
  std::thread pusher([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(db_->RPush("jobs", {"job-1"}).ok());
  });
  auto got = db_->Execute({"BLPOP", "jobs", "5"});
  pusher.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->elements(), (std::vector<Reply>{Reply::String("jobs"), Reply::String("job-1")}));
}

TEST(DatabaseLifecycle, TwoDatabasesAreIndependent) {
  Config cfg;
  cfg.shard_count = 2;
  auto a = Database::Open(cfg);
  auto b = Database::Open(cfg);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Set("k", "from-a").ok());
  ASSERT_TRUE((*b)->Set("k", "from-b").ok());
  EXPECT_EQ((*a)->Get("k").value(), "from-a");
  EXPECT_EQ((*b)->Get("k").value(), "from-b");
  a = Status::Internal("closed");  // destroys a; b keeps working
  EXPECT_EQ((*b)->Get("k").value(), "from-b");
}

TEST(DatabaseLifecycle, DefaultConfigUsesHardwareThreads) {
  auto db = Database::Open(Config{});
  ASSERT_TRUE(db.ok());
  unsigned hw = std::thread::hardware_concurrency();
  EXPECT_EQ((*db)->shard_count(), hw == 0 ? 1 : static_cast<int>(hw));
  ASSERT_TRUE((*db)->Set("a", "b").ok());
}

TEST(DatabaseLifecycle, OpenAndCloseRepeatedly) {
  for (int i = 0; i < 20; ++i) {
    Config cfg;
    cfg.shard_count = 1 + i % 4;
    auto db = Database::Open(cfg);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Set("k", std::to_string(i)).ok());
    EXPECT_EQ((*db)->Get("k").value(), std::to_string(i));
  }
}

TEST(DatabaseLifecycle, ConfigParamsApply) {
  Config cfg;
  cfg.shard_count = 1;
  cfg.maxmemory = 1 << 20;
  cfg.params = {{"list-max-listpack-size", "5"}};
  auto db = Database::Open(cfg);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto r = (*db)->Execute({"CONFIG", "GET", "maxmemory"});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->is_map());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->entries()[0].second.str(), "1048576");
  auto lp = (*db)->Execute({"CONFIG", "GET", "list-max-listpack-size"});
  ASSERT_TRUE(lp.ok());
  ASSERT_EQ(lp->size(), 1u);
  EXPECT_EQ(lp->entries()[0].second.str(), "5");
}

}  // namespace
}  // namespace kora
