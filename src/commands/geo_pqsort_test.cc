#include "commands/geo_pqsort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace kora::geo {
namespace {

// The wanted ranks hold what a full sort puts there, for any range and many ties.
TEST(GeoPqsortTest, MatchesFullSortOnTheRange) {
  std::mt19937 rng(7);
  auto cmp = [](int a, int b) { return a > b ? 1 : (a == b ? 0 : -1); };
  for (int round = 0; round < 500; ++round) {
    size_t n = 1 + rng() % 300;
    std::vector<int> v(n);
    for (int& x : v) x = static_cast<int>(rng() % (round % 2 ? 10 : 100000));
    std::vector<int> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    size_t l = rng() % n, r = l + rng() % (n - l);
    PartialSort(v.data(), n, cmp, l, r);
    for (size_t i = l; i <= r; ++i) ASSERT_EQ(v[i], sorted[i]) << "round " << round;
  }
}

}  // namespace
}  // namespace kora::geo
