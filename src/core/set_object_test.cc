#include "core/set_object.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace kora {
namespace {

std::vector<std::string> Members(const SetObject& s) {
  std::vector<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

TEST(SetObject, IntsetIsSortedAndUpgradesWidth) {
  SetObject s;
  for (const char* m : {"5", "-3", "100", "5", "40000", "-9223372036854775808", "0"}) {
    s.Add(m, 512);
  }
  EXPECT_TRUE(s.is_intset());
  EXPECT_EQ(s.size(), 6u);
  std::vector<std::string> want = {"-9223372036854775808", "-3", "0", "5", "100", "40000"};
  EXPECT_EQ(Members(s), want);
  EXPECT_TRUE(s.Contains("40000"));
  EXPECT_FALSE(s.Contains("040000"));
  EXPECT_FALSE(s.Contains("x"));
  EXPECT_TRUE(s.Remove("-3"));
  EXPECT_FALSE(s.Remove("-3"));
  EXPECT_EQ(s.size(), 5u);
}

TEST(SetObject, NonCanonicalIntegersAreStrings) {
  SetObject s;
  s.Add("1", 512);
  EXPECT_TRUE(s.is_intset());
  s.Add("01", 512);
  EXPECT_FALSE(s.is_intset());
  EXPECT_STREQ(s.encoding_name(), "hashtable");
  EXPECT_TRUE(s.Contains("1"));
  EXPECT_TRUE(s.Contains("01"));
}

TEST(SetObject, ConvertsPastIntsetLimit) {
  SetObject s;
  for (int i = 0; i < 512; ++i) s.Add(std::to_string(i * 7), 512);
  EXPECT_TRUE(s.is_intset());
  s.Add("100000", 512);
  EXPECT_FALSE(s.is_intset());
  EXPECT_EQ(s.size(), 513u);
  for (int i = 0; i < 512; ++i) EXPECT_TRUE(s.Contains(std::to_string(i * 7)));
}

TEST(SetObject, TableMatchesReferenceModel) {
  SetObject s;
  std::set<std::string> ref;
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200000; ++round) {
    std::string m = (rng() % 2 ? "m" : "") + std::to_string(rng() % 3000);
    if (rng() % 3 == 0) {
      EXPECT_EQ(s.Remove(m), ref.erase(m) == 1);
    } else {
      EXPECT_EQ(s.Add(m, 512), ref.insert(m).second);
    }
  }
  EXPECT_EQ(s.size(), ref.size());
  std::vector<std::string> got = Members(s);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), ref);
  std::string out;
  while (s.size() > 0) {
    s.PopRandom(rng, &out);
    EXPECT_EQ(ref.erase(out), 1u);
  }
  EXPECT_TRUE(ref.empty());
}

TEST(SetObject, CloneIsIndependent) {
  SetObject s;
  s.Add("a", 512);
  s.Add("bbbbbbbbbbbbbbbbbbbbbbbbbbbb", 512);
  auto c = s.Clone();
  s.Remove("a");
  auto* cs = static_cast<SetObject*>(c.get());
  EXPECT_TRUE(cs->Contains("a"));
  EXPECT_TRUE(cs->Contains("bbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
  EXPECT_EQ(cs->size(), 2u);
}

TEST(SetObject, RandomCoversAllMembers) {
  SetObject s;
  for (int i = 0; i < 20; ++i) s.Add("x" + std::to_string(i), 512);
  std::mt19937_64 rng(1);
  std::set<std::string> seen;
  std::string out;
  for (int i = 0; i < 2000; ++i) {
    s.Random(rng, &out);
    seen.insert(out);
  }
  EXPECT_EQ(seen.size(), 20u);
}

}  // namespace
}  // namespace kora
