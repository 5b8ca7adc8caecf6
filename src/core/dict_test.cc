#include "core/dict.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kora {
namespace {

struct Node {
  Node* next = nullptr;
  std::string key;
  std::string_view Key() const { return key; }
};

Node* Make(const std::string& k) {
  auto* n = new Node;
  n->key = k;
  return n;
}

TEST(Dict, InsertFindUnlinkAcrossGrowth) {
  Dict<Node> d;
  for (int i = 0; i < 10000; ++i) d.Insert(Make("k" + std::to_string(i)));
  EXPECT_EQ(d.size(), 10000u);
  for (int i = 0; i < 10000; ++i) ASSERT_NE(d.Find("k" + std::to_string(i)), nullptr);
  EXPECT_EQ(d.Find("nope"), nullptr);
  for (int i = 0; i < 10000; i += 2) delete d.Unlink("k" + std::to_string(i));
  EXPECT_EQ(d.size(), 5000u);
  EXPECT_EQ(d.Find("k2"), nullptr);
  EXPECT_NE(d.Find("k3"), nullptr);
}

// Redis's SCAN guarantee: keys present for the whole scan are returned at least once, even
// when the table grows (and rehashes incrementally) between calls.
TEST(Dict, ScanSeesEveryStableKeyWhileGrowing) {
  Dict<Node> d;
  for (int i = 0; i < 1000; ++i) d.Insert(Make("stable" + std::to_string(i)));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int added = 0;
  do {
    cursor = d.Scan(cursor, [&](Node* n) { seen.insert(n->key); });
    for (int j = 0; j < 50 && added < 20000; ++j) d.Insert(Make("new" + std::to_string(added++)));
  } while (cursor != 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(seen.count("stable" + std::to_string(i))) << i;
}

TEST(Dict, ScanSeesEveryStableKeyWhileShrinking) {
  Dict<Node> d;
  for (int i = 0; i < 5000; ++i) d.Insert(Make("gone" + std::to_string(i)));
  for (int i = 0; i < 100; ++i) d.Insert(Make("stable" + std::to_string(i)));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int removed = 0;
  do {
    cursor = d.Scan(cursor, [&](Node* n) { seen.insert(n->key); });
    for (int j = 0; j < 200 && removed < 5000; ++j) delete d.Unlink("gone" + std::to_string(removed++));
    d.MaybeShrink();
    d.RehashSteps(3);
  } while (cursor != 0);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(seen.count("stable" + std::to_string(i))) << i;
}

}  // namespace
}  // namespace kora
