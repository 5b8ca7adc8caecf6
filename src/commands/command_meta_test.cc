#include "commands/command_meta.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "commands/families.h"
#include "commands/service.h"

namespace kora {
namespace {

TEST(CommandMetaTest, RowsAreUniqueAndLowerCase) {
  std::set<std::string> seen;
  for (const auto& row : AllCommandMeta()) {
    std::string name = row.name;
    EXPECT_TRUE(seen.insert(name).second) << "duplicate row " << name;
    for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
}

// COMMAND INFO answers from the metadata table: every Redis command Kora registers must have a
// row there (Kora's own extensions may go without).
TEST(CommandMetaTest, RegisteredRedisCommandsHaveInfo) {
  EngineOptions eo;
  eo.workers = 1;
  Engine engine(eo);
  Service svc(&engine, ServiceOptions{});
  RegisterAllFamilies(svc);
  ASSERT_FALSE(svc.all_specs().empty());
  for (const char* name : {"get", "set", "del", "ping", "hello", "client|list", "config|get",
                           "command|info", "info"}) {
    const CommandSpec* found = nullptr;
    for (const CommandSpec* spec : svc.all_specs()) {
      if (spec->name == name) found = spec;
    }
    ASSERT_NE(found, nullptr) << name;
    EXPECT_NE(FindCommandMeta(name), nullptr) << name;
    EXPECT_NE(FindCommandDoc(name), nullptr) << name;
  }
}

TEST(CommandMetaTest, EveryDocRowHasAnInfoRow) {
  std::set<std::string> seen;
  for (const auto& row : AllCommandDocs()) {
    EXPECT_TRUE(seen.insert(row.name).second) << "duplicate doc row " << row.name;
    EXPECT_NE(FindCommandMeta(row.name), nullptr) << row.name;
  }
}

TEST(CommandMetaTest, AppliedFlagsKeepExecutionModes) {
  CommandSpec spec;
  spec.name = "hello";
  spec.flags = kCmdConn | kCmdWrite;
  ApplyCommandMeta(&spec);
  EXPECT_TRUE(spec.flags & kCmdConn);
  EXPECT_TRUE(spec.flags & kCmdNoAuth);
  EXPECT_FALSE(spec.flags & kCmdWrite);
  EXPECT_EQ(spec.acl, "fast connection");
}

TEST(CommandMetaTest, AclCategoriesInRedisOrder) {
  auto cats = OrderedAclCategories("slow @write keyspace dangerous");
  ASSERT_EQ(cats.size(), 4u);
  EXPECT_EQ(cats[0], "keyspace");
  EXPECT_EQ(cats[1], "write");
  EXPECT_EQ(cats[2], "slow");
  EXPECT_EQ(cats[3], "dangerous");
}

}  // namespace
}  // namespace kora
