#include "core/zset_object.h"
#include "core/zset_pack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
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

// Backwards iteration from the last element matches the model in reverse.
void ExpectSameBackwards(const ZSetObject& z, const Model& m) {
  std::vector<std::pair<double, std::string>> back;
  for (auto it = z.Seek(z.size() - 1); it.valid(); it.Prev()) {
    back.emplace_back(it.score(), std::string(it.member()));
  }
  auto fwd = m.Vec();
  std::vector<std::pair<double, std::string>> rev(fwd.rbegin(), fwd.rend());
  EXPECT_EQ(back, rev);
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
  ExpectSameBackwards(*z, m);
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

// ---- ZPack's entry encoding ----

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

// Walks the pack both ways, checking Next/Prev agree and the contents are `want`.
void ExpectPack(const ZPack& p, const std::vector<std::pair<double, std::string>>& want) {
  std::vector<size_t> offs;
  for (size_t off = 0; off < p.End(); off = p.Next(off)) offs.push_back(off);
  ASSERT_EQ(offs.size(), want.size());
  ASSERT_EQ(p.count(), want.size());
  for (size_t i = 0; i < offs.size(); ++i) {
    ASSERT_TRUE(SameBits(p.Score(offs[i]), want[i].first)) << i << " " << p.Score(offs[i]);
    ASSERT_EQ(p.Member(offs[i]), want[i].second) << i;
  }
  size_t off = p.End();
  for (size_t i = offs.size(); i-- > 0;) {
    off = p.Prev(off);
    ASSERT_EQ(off, offs[i]) << i;
  }
  for (size_t r = 0; r < offs.size(); ++r) ASSERT_EQ(p.Seek(r), offs[r]);
}

// Bytes of an entry whose score takes `score_bytes` (the format in zset_pack.h).
size_t EntryBytes(size_t member_len, size_t score_bytes) {
  size_t rest = member_len + score_bytes;  // the tag counts in score_bytes
  size_t hdr = rest + 1 < 128 ? 1 : rest + 2 < 16384 ? 2 : 5;
  size_t body = hdr + rest;
  size_t back = body < 128 ? 1 : body < 16384 ? 2 : body < (1u << 21) ? 3 : 4;
  return body + back;
}

TEST(ZPack, ScoreEncodingsRoundTrip) {
  const double p63 = std::ldexp(1.0, 63), p53 = std::ldexp(1.0, 53);
  // (score, bytes of its encoding); -0 reads back as 0.
  const std::vector<std::pair<double, size_t>> cases = {
      {0, 1},
      {-0.0, 1},
      {1, 1},
      {127, 1},
      {128, 2},
      {-1, 2},
      {4095, 2},
      {-4096, 2},
      {4096, 3},
      {-4097, 3},
      {32767, 3},
      {-32768, 3},
      {32768, 4},
      {-32769, 4},
      {8388607, 4},
      {8388608, 5},
      {2147483647.0, 5},
      {-2147483648.0, 5},
      {2147483648.0, 6},
      {1e12, 7},
      {p53, 8},
      {p53 + 2, 8},
      {-p53, 8},
      {-(p53 + 2), 8},
      {std::ldexp(1.0, 56) - 8, 9},
      {std::nextafter(p63, 0.0), 9},  // 2^63 - 1024: the largest double under 2^63
      {-p63, 9},                      // INT64_MIN
      {std::nextafter(-p63, 0.0), 9},
      {p63, 5},                        // not an int64, but a float holds it
      {-std::ldexp(1.0, 64), 5},
      {std::nextafter(-p63, -INFINITY), 9},
      {1e300, 9},
      {-1e300, 9},
      {DBL_MAX, 9},
      {-DBL_MAX, 9},
      {DBL_MIN, 9},
      {std::ldexp(1.0, -1074), 9},  // the smallest subnormal double
      {-std::ldexp(1.0, -1074), 9},
      {std::ldexp(1.0, -149), 5},  // the smallest subnormal float
      {FLT_MAX, 5},
      {std::nextafter(static_cast<double>(FLT_MAX), INFINITY), 9},
      {INFINITY, 5},
      {-INFINITY, 5},
      {0.5, 5},
      {-0.5, 5},
      {1.5, 5},
      {127.5, 5},
      {0.1, 9},
      {-3.14159, 9},
      {1.0 / 3, 9},
      {std::nextafter(1.0, 2.0), 9},
      {16777217.5, 9},
  };
  for (auto [score, bytes] : cases) {
    for (size_t len : {size_t{0}, size_t{3}, size_t{127}, size_t{128}}) {
      ZPack p;
      std::string m(len, 'x');
      p.Insert(m, score);
      double want = score == 0 ? 0.0 : score;
      ExpectPack(p, {{want, m}});
      EXPECT_EQ(p.End(), EntryBytes(len, bytes)) << score << " len " << len;
      double got = -1;
      ASSERT_EQ(p.Find(m, &got), 0u);
      EXPECT_TRUE(SameBits(got, want)) << score;
      EXPECT_FALSE(std::signbit(p.Score(0)) && score == 0);
    }
  }
  // All of them in one pack, in order, both ways; then removed one by one.
  ZPack p;
  std::vector<std::pair<double, std::string>> want;
  for (size_t i = 0; i < cases.size(); ++i) {
    double s = cases[i].first == 0 ? 0.0 : cases[i].first;
    std::string m = "m" + std::to_string(i);
    p.Insert(m, cases[i].first);
    want.emplace_back(s, m);
  }
  std::sort(want.begin(), want.end());
  ExpectPack(p, want);
  while (!want.empty()) {
    size_t i = want.size() / 3;
    double s;
    size_t off = p.Find(want[i].second, &s);
    ASSERT_NE(off, p.End());
    EXPECT_TRUE(SameBits(s, want[i].first));
    p.Erase(off);
    want.erase(want.begin() + static_cast<ptrdiff_t>(i));
    ExpectPack(p, want);
  }
  EXPECT_EQ(p.End(), 0u);
  EXPECT_EQ(p.AllocatedBytes(), 0u);
}

TEST(ZPack, RandomScoresRoundTrip) {
  // Random bit patterns, integers of every width and their neighbours, in packs of 100.
  std::mt19937_64 rng(11);
  for (int round = 0; round < 40; ++round) {
    ZPack p;
    std::vector<std::pair<double, std::string>> want;
    for (int i = 0; i < 100; ++i) {
      double d;
      uint64_t bits = rng();
      switch (rng() % 4) {
        case 0: std::memcpy(&d, &bits, sizeof(d)); break;
        case 1: d = static_cast<double>(static_cast<int64_t>(bits) >> (rng() % 64)); break;
        case 2: d = std::ldexp(1.0, static_cast<int>(rng() % 70)) * ((bits & 1) ? -1 : 1); break;
        default: d = static_cast<double>(static_cast<int64_t>(bits) >> (rng() % 64)) / 8; break;
      }
      if (rng() % 3 == 0) d = std::nextafter(d, (bits & 2) ? INFINITY : -INFINITY);
      if (std::isnan(d)) continue;
      std::string m = std::to_string(i) + std::string(rng() % 200, 'x');
      p.Insert(m, d);
      want.emplace_back(d == 0 ? 0.0 : d, m);
    }
    std::sort(want.begin(), want.end());
    ExpectPack(p, want);
  }
}

TEST(ZPack, MemberLengthsAndBacklenBoundaries) {
  // Lengths around the 1/2/5-byte member headers and the 1/2/3-byte backlens, with scores
  // of each size, inserted in a scrambled order.
  std::vector<size_t> lens = {0, 1, 2, 123, 124, 125, 126, 127, 128, 129, 255, 256,
                              16373, 16374, 16375, 16380, 16383, 16384, 16385, 100000};
  const std::vector<double> scores = {5, -5, 70000, 0.25, 0.1, INFINITY, -INFINITY};
  std::vector<std::pair<double, std::string>> want;
  size_t bytes = 0;
  for (size_t i = 0; i < lens.size(); ++i) {
    for (size_t j = 0; j < scores.size(); ++j) {
      std::string m(lens[i], static_cast<char>('a' + j));
      if (!m.empty()) m.back() = static_cast<char>('0' + i % 10);
      if (m.empty() && j > 0) continue;  // one empty member only
      want.emplace_back(scores[j], m);
      const size_t score_bytes[] = {1, 2, 4, 5, 9, 5, 5};
      size_t sb = score_bytes[j];
      bytes += EntryBytes(lens[i], sb);
    }
  }
  std::vector<size_t> order(want.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(7);
  std::shuffle(order.begin(), order.end(), rng);
  ZPack p;
  for (size_t i : order) p.Insert(want[i].second, want[i].first);
  std::sort(want.begin(), want.end());
  ExpectPack(p, want);
  EXPECT_EQ(p.End(), bytes);
  // Append builds the same bytes.
  ZPack q;
  for (auto& [s, m] : want) q.Append(m, s);
  ExpectPack(q, want);
  ASSERT_EQ(q.End(), p.End());
  for (size_t off = 0; off < p.End(); off = p.Next(off)) {
    ASSERT_EQ(p.Member(off), q.Member(off));
  }
  ZPack c;
  c.CopyFrom(p);
  ExpectPack(c, want);
  // Range removal from the middle.
  size_t from = p.Seek(10), to = p.Seek(30);
  p.EraseRange(from, to, 20);
  want.erase(want.begin() + 10, want.begin() + 30);
  ExpectPack(p, want);
}

TEST(ZPack, SmallIntegerScoresAreCompact) {
  // A ZSetObject fits a 48-byte malloc chunk.
  EXPECT_LE(sizeof(ZSetObject), 40u);
  // The memory benchmark's shape: members "m0".."m99", score j.
  ZPack p;
  for (int j = 0; j < 100; ++j) p.Insert("m" + std::to_string(j), j);
  EXPECT_EQ(p.End(), 10 * EntryBytes(2, 1) + 90 * EntryBytes(3, 1));  // 590
  EXPECT_LT(p.AllocatedBytes(), p.End() + p.End() / 16 + 48);
  ZPack c;
  c.CopyFrom(p);
  EXPECT_LE(c.AllocatedBytes(), c.End() + 24);
  // Shrinks back after most of it is removed.
  p.EraseRange(0, p.Seek(95), 95);
  EXPECT_EQ(p.count(), 5u);
  EXPECT_LT(p.AllocatedBytes(), 128u);
}

TEST(ZSetObject, ListpackEdgeScoresAgainstModel) {
  const double p63 = std::ldexp(1.0, 63);
  const std::vector<double> scores = {
      0,     -0.0,      127,       128,  -128, std::ldexp(1.0, 53), p63,    -p63,  1e300,
      -1e300, INFINITY, -INFINITY, 0.5,  -0.5, 4096,                -4097,  1e-300,
      std::nextafter(p63, 0.0)};
  ZLimits lim{128, 1000};
  auto z = ZSetObject::Create(0, 0, lim);
  Model m;
  for (size_t i = 0; i < scores.size(); ++i) {
    std::string member = std::string(i * 9, 'k') + std::to_string(i);
    Add(*z, member, scores[i], 0, lim);
    m.Set(member, scores[i] == 0 ? 0.0 : scores[i]);
  }
  ASSERT_TRUE(z->is_listpack());
  ExpectSame(*z, m);
  for (auto& [member, s] : m.scores) {
    double got;
    ASSERT_TRUE(z->Score(member, &got));
    EXPECT_TRUE(SameBits(got, s)) << member;
    size_t rank;
    ASSERT_TRUE(z->Rank(member, &rank, &got));
    EXPECT_TRUE(SameBits(got, s));
  }
  // Moving every member to another score (Erase + Insert), and reverse iteration.
  for (size_t i = 0; i < scores.size(); ++i) {
    std::string member = std::string(i * 9, 'k') + std::to_string(i);
    double s = scores[(i + 5) % scores.size()];
    int out;
    double ns;
    ASSERT_TRUE(z->Add(member, s, 0, lim, &out, &ns));
    m.Set(member, s == 0 ? 0.0 : s);
  }
  ExpectSame(*z, m);
  ExpectSameBackwards(*z, m);
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
