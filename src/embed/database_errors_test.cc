// Failures are values: wrong types, bad arguments, refused commands and bad settings come
// back as error Statuses with Redis's texts, never as exceptions or aborts.
#include <gtest/gtest.h>

#include <cmath>

#include "kora/database.h"

namespace kora {
namespace {

constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

class DatabaseErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Config cfg;
    cfg.shard_count = 2;
    auto opened = Database::Open(cfg);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_ = std::move(opened).value();
    ASSERT_TRUE(db_->Set("str", "text").ok());
    ASSERT_TRUE(db_->LPush("list", {"x"}).ok());
  }
  template <class R>
  void ExpectWrongType(const R& r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kWrongType);
    EXPECT_EQ(r.status().message(), kWrongType);
  }
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseErrorsTest, WrongTypeEveryFamily) {
  ExpectWrongType(db_->Get("list"));
  ExpectWrongType(db_->Incr("list"));
  ExpectWrongType(db_->HSet("str", "f", "v"));
  ExpectWrongType(db_->HGet("str", "f"));
  ExpectWrongType(db_->HGetAll("str"));
  ExpectWrongType(db_->HDel("str", {"f"}));
  ExpectWrongType(db_->LPush("str", {"a"}));
  ExpectWrongType(db_->RPush("str", {"a"}));
  ExpectWrongType(db_->LPop("str"));
  ExpectWrongType(db_->RPop("str", 2));
  ExpectWrongType(db_->LRange("str", 0, -1));
  ExpectWrongType(db_->LLen("str"));
  ExpectWrongType(db_->SAdd("str", {"a"}));
  ExpectWrongType(db_->SRem("str", {"a"}));
  ExpectWrongType(db_->SMembers("str"));
  ExpectWrongType(db_->SIsMember("str", "a"));
  ExpectWrongType(db_->ZAdd("str", 1, "a"));
  ExpectWrongType(db_->ZRange("str", 0, -1));
  ExpectWrongType(db_->ZRangeWithScores("str", 0, -1));
  ExpectWrongType(db_->ZScore("str", "a"));
  ExpectWrongType(db_->ZRem("str", {"a"}));
  ExpectWrongType(db_->Execute({"SMEMBERS", "list"}));
  // The data is untouched.
  EXPECT_EQ(db_->Get("str").value(), "text");
  EXPECT_EQ(db_->LRange("list", 0, -1).value(), std::vector<std::string>{"x"});
}

TEST_F(DatabaseErrorsTest, BadArgumentsAreCommandErrors) {
  auto notint = db_->Incr("str");
  ASSERT_FALSE(notint.ok());
  EXPECT_EQ(notint.status().code(), StatusCode::kCommandError);
  EXPECT_EQ(notint.status().message(), "ERR value is not an integer or out of range");

  auto badttl = db_->SetEx("k", 0, "v");
  EXPECT_EQ(badttl.code(), StatusCode::kCommandError);
  EXPECT_EQ(badttl.message(), "ERR invalid expire time in 'setex' command");
  auto negttl = db_->SetEx("k", -5, "v");
  EXPECT_EQ(negttl.code(), StatusCode::kCommandError);

  auto nan = db_->ZAdd("z", std::nan(""), "a");
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().code(), StatusCode::kCommandError);
  EXPECT_EQ(nan.status().message(), "ERR value is not a valid float");

  auto count = db_->LPop("list", -1);
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().message(), "ERR value is out of range, must be positive");

  // Empty lists give Redis's arity error.
  std::vector<std::string_view> none;
  auto del = db_->Del(none);
  ASSERT_FALSE(del.ok());
  EXPECT_EQ(del.status().message(), "ERR wrong number of arguments for 'del' command");
  EXPECT_FALSE(db_->MSet(std::vector<Database::Pair>{}).ok());
  EXPECT_FALSE(db_->SAdd("s", std::vector<std::string>{}).ok());

  auto syntax = db_->Execute({"SET", "k", "v", "BOGUS"});
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), StatusCode::kCommandError);
  EXPECT_EQ(syntax.status().message(), "ERR syntax error");
  EXPECT_EQ(syntax.status().ToString(), "CommandError: ERR syntax error");

  auto arity = db_->Execute({"GET"});
  ASSERT_FALSE(arity.ok());
  EXPECT_EQ(arity.status().message(), "ERR wrong number of arguments for 'get' command");
}

TEST_F(DatabaseErrorsTest, UnknownAndEmptyCommands) {
  auto unknown = db_->Execute({"NOSUCHCMD", "a", "b"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kCommandError);
  EXPECT_EQ(unknown.status().message(),
            "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ");
  auto empty = db_->Execute(std::vector<std::string>{});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DatabaseErrorsTest, ConnectionScopedCommandsAreRefused) {
  for (auto cmd : {std::vector<std::string>{"MULTI"}, {"EXEC"}, {"WATCH", "k"}, {"SELECT", "1"},
                   {"SUBSCRIBE", "ch"}, {"MONITOR"}, {"client", "reply", "off"}}) {
    auto r = db_->Execute(cmd);
    ASSERT_FALSE(r.ok()) << cmd[0];
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << cmd[0];
    EXPECT_NE(r.status().message().find("not available through the embedded API"),
              std::string_view::npos);
  }
  // Harmless connection commands run.
  EXPECT_TRUE(db_->Execute({"CLIENT", "SETNAME", "app"}).ok());
  auto id = db_->Execute({"CLIENT", "ID"});
  ASSERT_TRUE(id.ok());
  EXPECT_GT(id->integer(), 0);
  EXPECT_TRUE(db_->Execute({"QUIT"}).ok());
  EXPECT_EQ(db_->Get("str").value(), "text");  // QUIT closed nothing
  auto shutdown = db_->Execute({"SHUTDOWN"});
  EXPECT_FALSE(shutdown.ok());  // the application owns the lifetime
  EXPECT_EQ(db_->Get("str").value(), "text");
}

TEST(DatabaseOpenErrors, PersistenceIsNotAvailableYet) {
  Config cfg;
  cfg.data_dir = "/tmp/kora-data";
  auto db = Database::Open(cfg);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(db.status().message().find("persistence is not available yet"), std::string::npos);
}

TEST(DatabaseOpenErrors, BadSettings) {
  Config neg;
  neg.shard_count = -1;
  EXPECT_EQ(Database::Open(neg).status().code(), StatusCode::kInvalidArgument);
  Config level;
  level.log_level = "loud";
  EXPECT_EQ(Database::Open(level).status().code(), StatusCode::kInvalidArgument);
  Config policy;
  policy.maxmemory_policy = "keep-everything";
  auto p = Database::Open(policy);
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("maxmemory-policy"), std::string::npos);
  Config param;
  param.params = {{"no-such-param", "1"}};
  auto q = Database::Open(param);
  EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(q.status().message().find("no-such-param"), std::string::npos);
  Config hz;
  hz.hz = 0;
  EXPECT_EQ(Database::Open(hz).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DatabaseErrorsTest, ListenerAddressGarbage) {
  for (std::string_view bad : {"", "127.0.0.1", "127.0.0.1:", ":6379", "127.0.0.1:port",
                               "127.0.0.1:65536", "127.0.0.1:-1", "::1:6379", "[::1]6379",
                               "[::1", "example.com:6379", "300.1.1.1:6379", "1.2.3.4:123456"}) {
    Status st = db_->StartListener(bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("invalid listener address"), std::string_view::npos) << bad;
  }
  EXPECT_EQ(db_->listener_port(), 0);
}

}  // namespace
}  // namespace kora
