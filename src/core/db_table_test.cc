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

TEST(Value, EncodingsFollowRedis) {
  EXPECT_STREQ(Value::String("12345").encoding_name(), "int");
  EXPECT_STREQ(Value::String("012").encoding_name(), "embstr");
  EXPECT_STREQ(Value::String(std::string(44, 'a')).encoding_name(), "embstr");
  EXPECT_STREQ(Value::String(std::string(45, 'a')).encoding_name(), "raw");
  EXPECT_STREQ(Value::RawString("a").encoding_name(), "raw");
}

}  // namespace
}  // namespace kora
