#include "core/zset_object.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace kora {
namespace {

// The reference model: (score, member) pairs in order plus member -> score.
struct Model {
  std::set<std::pair<double, std::string>> order;
  std::map<std::string, double> scores;

  void Set(const std::string& m, double s) {
    auto it = scores.find(m);
    if (it != scores.end()) order.erase({it->second, m});
    scores[m] = s;
    order.insert({s, m});
  }
  bool Remove(const std::string& m) {
    auto it = scores.find(m);
    if (it == scores.end()) return false;
    order.erase({it->second, m});
    scores.erase(it);
    return true;
  }
  std::vector<std::pair<double, std::string>> Vec() const {
    return std::vector<std::pair<double, std::string>>(order.begin(), order.end());
  }
};

std::vector<std::pair<double, std::string>> Contents(const ZSetObject& z) {
  std::vector<std::pair<double, std::string>> v;
  if (z.size() == 0) return v;
  for (auto it = z.Seek(0); it.valid(); it.Next()) {
    v.emplace_back(it.score(), std::string(it.member()));
  }
  return v;
}

void ExpectSame(const ZSetObject& z, const Model& m) {
  ASSERT_TRUE(z.Verify());
  ASSERT_EQ(z.size(), m.order.size());
  ASSERT_EQ(Contents(z), m.Vec());
}

int Add(ZSetObject& z, const std::string& m, double s, int flags = 0, ZLimits lim = {}) {
  int out;
  double ns;
  EXPECT_TRUE(z.Add(m, s, flags, lim, &out, &ns));
  return out;
}

TEST(ZSetObject, ListpackBasics) {
  auto z = ZSetObject::Create(0, 0, ZLimits{});
  EXPECT_STREQ(z->encoding_name(), "listpack");
  EXPECT_EQ(Add(*z, "b", 2), ZSetObject::kOutAdded);
  EXPECT_EQ(Add(*z, "a", 2), ZSetObject::kOutAdded);
  EXPECT_EQ(Add(*z, "c", 1), ZSetObject::kOutAdded);
  EXPECT_EQ(Add(*z, "c", 1), 0);
  EXPECT_EQ(Add(*z, "c", 5, ZSetObject::kAddNx), ZSetObject::kOutNop);
  EXPECT_EQ(Add(*z, "c", 0, ZSetObject::kAddGt), ZSetObject::kOutNop);
  EXPECT_EQ(Add(*z, "c", 3), ZSetObject::kOutUpdated);
  std::vector<std::pair<double, std::string>> want = {{2, "a"}, {2, "b"}, {3, "c"}};
  EXPECT_EQ(Contents(*z), want);
  size_t rank;
  double score;
  ASSERT_TRUE(z->Rank("b", &rank, &score));
  EXPECT_EQ(rank, 1u);
  EXPECT_EQ(score, 2);
  EXPECT_TRUE(z->Remove("a"));
  EXPECT_FALSE(z->Remove("a"));
  EXPECT_EQ(z->size(), 2u);
}

TEST(ZSetObject, IncrToNanFails) {
  auto z = ZSetObject::Create(0, 0, ZLimits{});
  Add(*z, "x", INFINITY);
  int out;
  double ns;
  EXPECT_FALSE(z->Add("x", -INFINITY, ZSetObject::kAddIncr, ZLimits{}, &out, &ns));
  ASSERT_TRUE(z->Score("x", &ns));
  EXPECT_EQ(ns, INFINITY);
}

TEST(ZSetObject, NegativeZeroBecomesZeroInListpackOnly) {
  auto small = ZSetObject::Create(0, 0, ZLimits{});
  Add(*small, "x", -0.0);
  double s;
  ASSERT_TRUE(small->Score("x", &s));
  EXPECT_FALSE(std::signbit(s));
  auto big = ZSetObject::Create(1000, 0, ZLimits{});
  EXPECT_STREQ(big->encoding_name(), "skiplist");
  Add(*big, "x", -0.0);
  ASSERT_TRUE(big->Score("x", &s));
  EXPECT_TRUE(std::signbit(s));
}

TEST(ZSetObject, ConvertsOnSizeAndLength) {
  ZLimits lim{4, 8};
  auto z = ZSetObject::Create(0, 0, lim);
  for (int i = 0; i < 4; ++i) Add(*z, "m" + std::to_string(i), i, 0, lim);
  EXPECT_TRUE(z->is_listpack());
  Add(*z, "m4", 4, 0, lim);
  EXPECT_FALSE(z->is_listpack());
  auto y = ZSetObject::Create(0, 0, lim);
  Add(*y, "123456789", 1, 0, lim);
  EXPECT_FALSE(y->is_listpack());
  auto c = z->Clone();
  EXPECT_STREQ(c->encoding_name(), "skiplist");
  EXPECT_EQ(Contents(static_cast<ZSetObject&>(*c)), Contents(*z));
}

TEST(ZSetObject, LongMembersInListpack) {
  ZLimits lim{128, 100000};
  auto z = ZSetObject::Create(0, 0, lim);
  Model m;
  for (int i = 0; i < 50; ++i) {
    std::string member(i * 37 % 300, static_cast<char>('a' + i % 26));
    member += std::to_string(i);
    Add(*z, member, i % 7, 0, lim);
    m.Set(member, i % 7);
  }
  EXPECT_TRUE(z->is_listpack());
  ExpectSame(*z, m);
  // Backwards iteration matches forwards.
  std::vector<std::pair<double, std::string>> back;
  for (auto it = z->Seek(z->size() - 1); it.valid(); it.Prev()) {
    back.emplace_back(it.score(), std::string(it.member()));
  }
  auto fwd = m.Vec();
  std::vector<std::pair<double, std::string>> rev(fwd.rbegin(), fwd.rend());
  EXPECT_EQ(back, rev);
}

// Random operations on both encodings against the model: rank, select, ranges, range
// deletions, iteration in both directions.
void RandomizedAgainstModel(ZLimits lim, int ops, int universe, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto z = ZSetObject::Create(0, 0, lim);
  Model m;
  auto rnd = [&](int n) { return static_cast<int>(rng() % n); };
  for (int op = 0; op < ops; ++op) {
    int kind = rnd(100);
    std::string member = "m" + std::to_string(rnd(universe));
    double score = rnd(50) - 25 + (rnd(4) == 0 ? 0.5 : 0);
    if (kind < 55) {
      int out;
      double ns;
      ASSERT_TRUE(z->Add(member, score, 0, lim, &out, &ns));
      m.Set(member, score);
    } else if (kind < 70) {
      ASSERT_EQ(z->Remove(member), m.Remove(member));
    } else if (kind < 80) {
      size_t rank;
      double s;
      bool found = z->Rank(member, &rank, &s);
      auto it = m.scores.find(member);
      ASSERT_EQ(found, it != m.scores.end());
      if (found) {
        ASSERT_EQ(s, it->second);
        ASSERT_EQ(rank,
                  static_cast<size_t>(std::distance(m.order.begin(), m.order.find({s, member}))));
      }
    } else if (kind < 88) {
      ZScoreRange r;
      r.min = rnd(60) - 30;
      r.max = r.min + rnd(20) - 2;
      r.minex = rnd(2);
      r.maxex = rnd(2);
      auto [lo, hi] = z->ScoreSpan(r);
      size_t want_lo = 0, want_hi = 0, i = 0;
      bool seen = false;
      for (auto& [s, mem] : m.order) {
        if (!r.GteMin(s)) want_lo = i + 1;
        if (r.GteMin(s) && r.LteMax(s)) {
          want_hi = i + 1;
          seen = true;
        }
        ++i;
      }
      if (!seen) {
        ASSERT_GE(lo, hi);
      } else {
        ASSERT_EQ(lo, want_lo);
        ASSERT_EQ(hi, want_hi);
      }
    } else if (kind < 93 && !m.order.empty()) {
      size_t n = m.order.size();
      size_t start = rnd(static_cast<int>(n));
      size_t count = rnd(static_cast<int>(n - start) + 1);
      if (rnd(4) != 0) count = std::min<size_t>(count, 3);
      auto v = m.Vec();
      for (size_t i = start; i < start + count; ++i) m.Remove(v[i].second);
      z->EraseRanks(start, count);
    } else if (!m.order.empty()) {
      size_t n = m.order.size();
      size_t r = rnd(static_cast<int>(n));
      auto v = m.Vec();
      auto it = z->Seek(r);
      for (size_t i = r; i < std::min(n, r + 5); ++i, it.Next()) {
        ASSERT_TRUE(it.valid());
        ASSERT_EQ(it.member(), v[i].second);
      }
      it = z->Seek(r);
      for (size_t i = r + 1; i-- > (r >= 5 ? r - 5 : 0);) {
        ASSERT_TRUE(it.valid());
        ASSERT_EQ(it.member(), v[i].second);
        it.Prev();
      }
    }
    if (op % 97 == 0) ExpectSame(*z, m);
  }
  ExpectSame(*z, m);
  auto c = z->Clone();
  ExpectSame(static_cast<ZSetObject&>(*c), m);
}

TEST(ZSetObject, RandomizedListpack) { RandomizedAgainstModel(ZLimits{1000000, 64}, 5000, 120, 1); }
TEST(ZSetObject, RandomizedSkiplistSmall) { RandomizedAgainstModel(ZLimits{0, 64}, 20000, 300, 2); }
TEST(ZSetObject, RandomizedSkiplistLarge) {
  RandomizedAgainstModel(ZLimits{0, 64}, 200000, 20000, 3);
}

TEST(ZSetObject, LexSpan) {
  for (ZLimits lim : {ZLimits{}, ZLimits{0, 64}}) {
    auto z = ZSetObject::Create(0, 0, lim);
    for (const char* m : {"a", "b", "c", "d", "e"}) Add(*z, m, 0, 0, lim);
    ZLexRange r;
    r.min.value = "b";
    r.max.value = "d";
    r.max.ex = true;
    EXPECT_EQ(z->LexSpan(r), std::make_pair(size_t{1}, size_t{3}));
    r.min.kind = ZLexBound::kMinusInf;
    r.max.kind = ZLexBound::kPlusInf;
    EXPECT_EQ(z->LexSpan(r), std::make_pair(size_t{0}, size_t{5}));
    r.min.kind = ZLexBound::kPlusInf;
    auto [lo, hi] = z->LexSpan(r);
    EXPECT_GE(lo, hi);
  }
}

TEST(ZSetObject, ScanVisitsEverything) {
  auto z = ZSetObject::Create(1000, 0, ZLimits{});
  Model m;
  for (int i = 0; i < 5000; ++i) Add(*z, "k" + std::to_string(i), i);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = z->Scan(cursor, 10, [&](std::string_view mem, double) { seen.emplace(mem); });
    // Growth and shrinking in the middle of a scan must not lose elements present throughout.
    if (++steps == 50) {
      for (int i = 5000; i < 20000; ++i) Add(*z, "k" + std::to_string(i), i);
    }
    if (steps == 100) {
      for (int i = 5000; i < 20000; ++i) z->Remove("k" + std::to_string(i));
    }
  } while (cursor != 0);
  for (int i = 0; i < 5000; ++i) EXPECT_TRUE(seen.count("k" + std::to_string(i))) << i;
}

TEST(ZSetObject, MemoryUsageTracksContents) {
  auto z = ZSetObject::Create(0, 0, ZLimits{0, 64});
  size_t empty = z->MemoryUsage();
  for (int i = 0; i < 100000; ++i) Add(*z, "member:" + std::to_string(i), i, 0, ZLimits{0, 64});
  size_t full = z->MemoryUsage();
  EXPECT_GT(full, empty + 100000 * 32);
  // Well under Redis's ~100 bytes per element for such members.
  EXPECT_LT(full / 100000, 90u);
  z->EraseRanks(0, 99990);
  EXPECT_EQ(z->size(), 10u);
  EXPECT_TRUE(z->Verify());
  EXPECT_LT(z->MemoryUsage(), empty + 4096);
}

}  // namespace
}  // namespace kora
