#include "commands/config.h"

#include <gtest/gtest.h>

namespace kora {
namespace {

void Define(ConfigStore& c) {
  using P = ConfigStore::Param;
  c.Define(P{"maxmemory", {}, "0", "", ConfigStore::Memory(0, INT64_MAX)});
  c.Define(P{"timeout", {}, "0", "", ConfigStore::Int(0, 100)});
  c.Define(P{"hash-max-listpack-entries",
             {"hash-max-ziplist-entries"},
             "512",
             "",
             ConfigStore::Int(0, INT64_MAX)});
  c.Define(P{"databases", {}, "16", "", ConfigStore::Int(1, 16), ConfigStore::kImmutable});
  c.Define(P{"requirepass", {}, "", "", ConfigStore::Any(), ConfigStore::kSensitive});
}

TEST(ConfigStoreTest, SetIsAllOrNothing) {
  ConfigStore c;
  Define(c);
  EXPECT_EQ(c.Set({{"timeout", "5"}, {"maxmemory", "abc"}}),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be "
            "a memory value");
  EXPECT_EQ(c.Value("timeout"), "0");
  EXPECT_EQ(c.Set({{"timeout", "5"}, {"maxmemory", "1kb"}}), "");
  EXPECT_EQ(c.Value("timeout"), "5");
  EXPECT_EQ(c.Value("maxmemory"), "1024");
}

TEST(ConfigStoreTest, ErrorPrecedenceAndNames) {
  ConfigStore c;
  Define(c);
  EXPECT_EQ(c.Set({{"databases", "4"}, {"nosuch", "1"}}),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set "
            "immutable config");
  EXPECT_EQ(c.Set({{"nosuch", "1"}, {"databases", "4"}}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(c.Set({{"timeout", "1"}, {"TIMEOUT", "2"}}),
            "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter");
  // An alias is a name of its own: both spellings in one call are allowed, and errors name the
  // spelling used.
  EXPECT_EQ(c.Set({{"hash-max-ziplist-entries", "1"}, {"hash-max-listpack-entries", "2"}}), "");
  EXPECT_EQ(c.Value("hash-max-listpack-entries"), "2");
  EXPECT_EQ(c.Set({{"HASH-MAX-ZIPLIST-ENTRIES", "x"}}),
            "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - "
            "argument couldn't be parsed into an integer");
}

TEST(ConfigStoreTest, GetMatchesNamesAliasesAndHidesSecrets) {
  ConfigStore c;
  Define(c);
  auto exact = c.Get({"MAXMEMORY", "maxmemory"});
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].first, "MAXMEMORY");
  EXPECT_EQ(c.Get({"hash-*"}).size(), 2u);
  ASSERT_EQ(c.SetAtStartup("requirepass", "secret"), "");
  auto pw = c.Get({"requirepass"});
  ASSERT_EQ(pw.size(), 1u);
  EXPECT_EQ(pw[0].second, "");
  EXPECT_EQ(c.Value("requirepass"), "secret");
}

}  // namespace
}  // namespace kora
