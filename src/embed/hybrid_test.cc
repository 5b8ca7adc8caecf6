// Hybrid mode: the API on one side, redis-cli and redis-py over the RESP listener on the
// other, on the same shard threads and the same data. A write through either door must be
// visible through the other at once (no cache, no copy in between).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <thread>

#include "kora/database.h"

namespace kora {
namespace {

// Runs a shell command; returns its stdout (exit status in *rc).
std::string Shell(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  if (rc != nullptr) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class HybridTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config cfg;
    cfg.shard_count = 4;
    auto opened = Database::Open(cfg);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_ = std::move(opened).value();
    Status st = db_->StartListener("127.0.0.1:0");
    ASSERT_TRUE(st.ok()) << st.ToString();
    port_ = db_->listener_port();
    ASSERT_GT(port_, 0);
  }
  std::string Cli(const std::string& args) {
    return Trim(Shell(std::string(KORA_REDIS_CLI) + " -p " + std::to_string(port_) + " " + args +
                      " 2>&1"));
  }
  // Runs a redis-py snippet with `r` connected to the listener; returns its stdout.
  std::string Py(const std::string& body, int* rc = nullptr) {
    std::string script = "import redis\nr = redis.Redis(host='127.0.0.1', port=" +
                         std::to_string(port_) + ", decode_responses=True)\n" + body + "\n";
    std::string path = testing::TempDir() + "kora_hybrid_" + std::to_string(port_) + ".py";
    FILE* f = fopen(path.c_str(), "w");
    fputs(script.c_str(), f);
    fclose(f);
    return Trim(Shell(std::string(KORA_PYTHON) + " " + path + " 2>&1", rc));
  }
  std::unique_ptr<Database> db_;
  int port_ = 0;
};

TEST_F(HybridTest, RedisCliAndApiSeeEachOthersWrites) {
  EXPECT_EQ(Cli("PING"), "PONG");
  EXPECT_EQ(Cli("SET cli:key from-cli"), "OK");
  EXPECT_EQ(db_->Get("cli:key").value(), "from-cli");
  ASSERT_TRUE(db_->Set("api:key", "from-api").ok());
  EXPECT_EQ(Cli("GET api:key"), "from-api");
  // Every family, both ways.
  ASSERT_TRUE(db_->LPush("queue", {"task-1", "task-2"}).ok());
  EXPECT_EQ(Cli("LRANGE queue 0 -1"), "task-2\ntask-1");
  EXPECT_EQ(Cli("HSET profile:1 name Augustus"), "1");
  EXPECT_EQ(db_->HGet("profile:1", "name").value(), "Augustus");
  EXPECT_EQ(Cli("ZADD board 10 ann 5 bob"), "2");
  EXPECT_EQ(db_->ZRange("board", 0, -1).value(), (std::vector<std::string>{"bob", "ann"}));
  ASSERT_TRUE(db_->SAdd("tags", {"x"}).ok());
  EXPECT_EQ(Cli("SISMEMBER tags x"), "1");
  // A wrong type is an error on both sides.
  EXPECT_EQ(Cli("GET queue"), "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(db_->Get("queue").status().code(), StatusCode::kWrongType);
  // The keyspace is one: DBSIZE agrees.
  EXPECT_EQ(Cli("DBSIZE"), std::to_string(db_->Execute({"DBSIZE"}).value().integer()));
  // RESP3 on the listener.
  EXPECT_EQ(Trim(Shell(std::string(KORA_REDIS_CLI) + " -3 --no-raw -p " +
                       std::to_string(port_) + " ZSCORE board ann")),
            "(double) 10");
}

TEST_F(HybridTest, RedisPyAndApiSeeEachOthersWrites) {
  ASSERT_TRUE(db_->Set("api:greeting", "hello").ok());
  ASSERT_TRUE(db_->HSet("api:hash", {{"a", "1"}, {"b", "2"}}).ok());
  int rc = -1;
  std::string out = Py(
      "print(r.get('api:greeting'))\n"
      "print(sorted(r.hgetall('api:hash').items()))\n"
      "r.set('py:key', 'from-py')\n"
      "r.rpush('py:list', 'a', 'b', 'c')\n"
      "p = r.pipeline(transaction=False)\n"
      "for i in range(100): p.incr('py:counter')\n"
      "print(p.execute()[-1])",
      &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "hello\n[('a', '1'), ('b', '2')]\n100");
  EXPECT_EQ(db_->Get("py:key").value(), "from-py");
  EXPECT_EQ(db_->LRange("py:list", 0, -1).value(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(db_->Get("py:counter").value(), "100");
}

TEST_F(HybridTest, BothDoorsAtOnceCountExactly) {
  // API threads and RESP clients increment the same counters concurrently.
  constexpr int kApiThreads = 4, kApiIncrs = 2000, kPyIncrs = 2000, kCliIncrs = 300;
  std::atomic<bool> ok{true};
  std::vector<std::thread> api;
  for (int t = 0; t < kApiThreads; ++t) {
    api.emplace_back([&, t] {
      for (int i = 0; i < kApiIncrs; ++i) {
        if (!db_->Incr("shared").ok() || !db_->Incr("shard-" + std::to_string(i % 8)).ok()) {
          ok = false;
        }
      }
    });
  }
  int py_rc = -1;
  std::string py_out;
  std::thread py([&] {
    py_out = Py("for i in range(" + std::to_string(kPyIncrs) + "):\n"
                "    r.incr('shared')\n"
                "    r.incr('shard-%d' % (i % 8))\n"
                "print('done')",
                &py_rc);
  });
  std::string cli = Cli("-r " + std::to_string(kCliIncrs) + " INCR shared");
  py.join();
  for (auto& t : api) t.join();
  ASSERT_TRUE(ok);
  ASSERT_EQ(py_rc, 0) << py_out;
  int64_t want = kApiThreads * kApiIncrs + kPyIncrs + kCliIncrs;
  EXPECT_EQ(db_->Get("shared").value(), std::to_string(want));
  EXPECT_EQ(Cli("GET shared"), std::to_string(want));
  int64_t shards = 0;
  for (int i = 0; i < 8; ++i) shards += std::stoll(*db_->Get("shard-" + std::to_string(i)).value());
  EXPECT_EQ(shards, kApiThreads * kApiIncrs + kPyIncrs);
}

TEST_F(HybridTest, BlockingAcrossDoors) {
  // redis-cli blocks in BLPOP; the API's push releases it.
  std::string got;
  std::thread waiter([&] { got = Cli("BLPOP jobs 10"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(db_->RPush("jobs", {"job-1"}).ok());
  waiter.join();
  EXPECT_EQ(got, "jobs\njob-1");
  // And the other way: the API blocks, redis-cli pushes.
  std::thread pusher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Cli("RPUSH jobs job-2");
  });
  auto r = db_->Execute({"BLPOP", "jobs", "10"});
  pusher.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->elements()[1].str(), "job-2");
}

TEST_F(HybridTest, ListenerAddressesAndConflicts) {
  // The same address again, from this or another Database, is refused (never shared).
  Status again = db_->StartListener("127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(again.code(), StatusCode::kIOError);
  EXPECT_NE(again.message().find("in use"), std::string_view::npos) << again.ToString();
  Config cfg;
  cfg.shard_count = 1;
  auto other = Database::Open(cfg);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->StartListener("127.0.0.1:" + std::to_string(port_)).code(),
            StatusCode::kIOError);
  // A second listener of the same database, by name, serves the same data.
  ASSERT_TRUE(db_->Set("k", "v").ok());
  ASSERT_TRUE(db_->StartListener("localhost:0").ok());
  int second = db_->listener_port();
  ASSERT_NE(second, port_);
  EXPECT_EQ(Trim(Shell(std::string(KORA_REDIS_CLI) + " -p " + std::to_string(second) + " GET k")),
            "v");
  // A fixed port from this test's range, if it is free.
  Status fixed = (*other)->StartListener("127.0.0.1:7853");
  if (fixed.ok()) {
    EXPECT_EQ((*other)->listener_port(), 7853);
    EXPECT_EQ(Trim(Shell(std::string(KORA_REDIS_CLI) + " -p 7853 PING")), "PONG");
    auto cfgport = (*other)->Execute({"CONFIG", "GET", "port"});
    ASSERT_TRUE(cfgport.ok());
    EXPECT_EQ(cfgport->entries()[0].second.str(), "7853");
  }
}

TEST(HybridAuth, PasswordProtectsTheListenerOnly) {
  Config cfg;
  cfg.shard_count = 2;
  cfg.password = "s3cret";
  auto db = Database::Open(cfg);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->StartListener("127.0.0.1:0").ok());
  std::string cli = std::string(KORA_REDIS_CLI) + " -p " + std::to_string((*db)->listener_port());
  EXPECT_EQ(Trim(Shell(cli + " GET k")), "NOAUTH Authentication required.");
  ASSERT_TRUE((*db)->Set("k", "v").ok());  // the API needs no password
  EXPECT_EQ(Trim(Shell(cli + " --no-auth-warning -a s3cret GET k")), "v");
}

TEST(HybridShutdown, DestroyingTheDatabaseClosesClients) {
  Config cfg;
  cfg.shard_count = 2;
  auto db = Database::Open(cfg);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->StartListener("127.0.0.1:0").ok());
  int port = (*db)->listener_port();
  // A client that stays connected while the database goes away sees the connection close.
  std::string dir = testing::TempDir() + "kora_hybrid_close_" + std::to_string(port);
  std::string script = dir + ".py", ready = dir + ".ready", go = dir + ".go";
  std::remove(ready.c_str());
  std::remove(go.c_str());
  FILE* f = fopen(script.c_str(), "w");
  fputs(("import os, time, redis\n"
         "r = redis.Redis(port=" + std::to_string(port) + ")\n"
         "r.set('x', 1)\n"
         "open('" + ready + "', 'w').close()\n"
         "while not os.path.exists('" + go + "'): time.sleep(0.01)\n"
         "try:\n"
         "    r.get('x')\n"
         "    print('still served')\n"
         "except redis.exceptions.ConnectionError:\n"
         "    print('closed')\n").c_str(), f);
  fclose(f);
  std::string out;
  std::thread client([&] { out = Shell(std::string(KORA_PYTHON) + " " + script + " 2>&1"); });
  for (int i = 0; i < 2000 && access(ready.c_str(), F_OK) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  db = Status::Internal("closed");  // destroys the Database with the client connected
  fclose(fopen(go.c_str(), "w"));
  client.join();
  EXPECT_EQ(Trim(out), "closed");
  // The port is free again.
  auto again = Database::Open(cfg);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->StartListener("127.0.0.1:" + std::to_string(port)).ok());
}

}  // namespace
}  // namespace kora
