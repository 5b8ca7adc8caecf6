#include "core/hash_object.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace kora {
namespace {

std::vector<std::pair<std::string, std::string>> Pairs(const HashObject& h) {
  std::vector<std::pair<std::string, std::string>> out;
  h.ForEach([&](std::string_view f, std::string_view v) { out.emplace_back(f, v); });
  return out;
}

TEST(HashObject, ListpackKeepsInsertionOrder) {
  HashObject h;
  EXPECT_TRUE(h.Set("b", "1", 512));
  EXPECT_TRUE(h.Set("a", "2", 512));
  EXPECT_TRUE(h.Set("c", "3", 512));
  EXPECT_FALSE(h.Set("a", "22222", 512));  // overwrite keeps the position
  EXPECT_TRUE(h.is_listpack());
  std::vector<std::pair<std::string, std::string>> want = {{"b", "1"}, {"a", "22222"}, {"c", "3"}};
  EXPECT_EQ(Pairs(h), want);
  EXPECT_TRUE(h.Delete("b"));
  EXPECT_FALSE(h.Delete("b"));
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(*h.Get("a"), "22222");
  EXPECT_FALSE(h.Get("b").has_value());
  EXPECT_STREQ(h.encoding_name(), "listpack");
}

TEST(HashObject, EmptyFieldsAndBinaryValues) {
  HashObject h;
  h.Set("", "", 512);
  h.Set(std::string("\0x", 2), std::string(300, '\xff'), 512);
  EXPECT_EQ(*h.Get(""), "");
  EXPECT_EQ(*h.Get(std::string("\0x", 2)), std::string(300, '\xff'));
  h.ConvertToTable();
  EXPECT_EQ(*h.Get(""), "");
  EXPECT_EQ(*h.Get(std::string("\0x", 2)), std::string(300, '\xff'));
}

TEST(HashObject, ConvertsPastEntryLimit) {
  HashObject h;
  for (int i = 0; i < 4; ++i) h.Set("f" + std::to_string(i), "v", 4);
  EXPECT_TRUE(h.is_listpack());
  h.Set("f4", "v", 4);
  EXPECT_FALSE(h.is_listpack());
  EXPECT_STREQ(h.encoding_name(), "hashtable");
  EXPECT_EQ(h.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(*h.Get("f" + std::to_string(i)), "v");
}

// The table against std::map under random inserts, overwrites and deletes (sizes that cross
// inline/heap payloads and several resizes both ways).
TEST(HashObject, TableMatchesReferenceModel) {
  HashObject h;
  h.ConvertToTable();
  std::map<std::string, std::string> ref;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200000; ++round) {
    std::string f = "k" + std::to_string(rng() % 5000);
    if (rng() % 3 == 0) {
      EXPECT_EQ(h.Delete(f), ref.erase(f) == 1);
    } else {
      std::string v(rng() % 40, static_cast<char>('a' + rng() % 26));
      EXPECT_EQ(h.Set(f, v, 0), ref.find(f) == ref.end());
      ref[f] = v;
    }
  }
  ASSERT_EQ(h.size(), ref.size());
  for (auto& [f, v] : ref) EXPECT_EQ(*h.Get(f), v);
  std::map<std::string, std::string> seen;
  h.ForEach([&](std::string_view f, std::string_view v) { seen[std::string(f)] = v; });
  EXPECT_EQ(seen, ref);
  auto c = h.Clone();
  EXPECT_EQ(static_cast<HashObject*>(c.get())->size(), ref.size());
  for (auto& [f, v] : ref) h.Delete(f);
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(*static_cast<HashObject*>(c.get())->Get(ref.begin()->first), ref.begin()->second);
}

// Redis's SCAN guarantee: elements present for the whole scan are returned, even when the table
// grows and shrinks between steps.
TEST(HashObject, ScanSurvivesResizes) {
  HashObject h;
  h.ConvertToTable();
  for (int i = 0; i < 1000; ++i) h.Set("keep" + std::to_string(i), "v", 0);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = h.ScanTable(cursor, [&](std::string_view f, std::string_view) { seen.emplace(f); });
    ++step;
    if (step == 50) {
      for (int i = 0; i < 5000; ++i) h.Set("tmp" + std::to_string(i), "v", 0);
    }
    if (step == 300) {
      for (int i = 0; i < 5000; ++i) h.Delete("tmp" + std::to_string(i));
    }
  } while (cursor != 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("keep" + std::to_string(i))) << i;
}

TEST(HashObject, MemoryUsageGrowsWithContent) {
  HashObject h;
  size_t empty = h.MemoryUsage();
  for (int i = 0; i < 100; ++i) h.Set("field" + std::to_string(i), std::string(20, 'x'), 512);
  size_t lp = h.MemoryUsage();
  EXPECT_GT(lp, empty + 100 * 28);
  h.ConvertToTable();
  EXPECT_GT(h.MemoryUsage(), lp);
}

}  // namespace
}  // namespace kora
