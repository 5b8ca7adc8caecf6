#include "core/list_object.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace kora {
namespace {

std::vector<std::string> All(const ListObject& l) {
  std::vector<std::string> out;
  l.ForEach([&](size_t i, std::string_view v) {
    EXPECT_EQ(i, out.size());
    out.emplace_back(v);
    return true;
  });
  return out;
}

void ExpectSame(const ListObject& l, const std::deque<std::string>& m) {
  ASSERT_EQ(l.size(), m.size());
  std::vector<std::string> want(m.begin(), m.end());
  ASSERT_EQ(All(l), want);
  std::vector<std::string> rev;
  l.ForEachReverse([&](size_t i, std::string_view v) {
    EXPECT_EQ(i, m.size() - 1 - rev.size());
    rev.emplace_back(v);
    return true;
  });
  std::vector<std::string> want_rev(m.rbegin(), m.rend());
  ASSERT_EQ(rev, want_rev);
}

// Values of every interesting size: empty, one varint byte, two, beyond a chunk.
std::string RandomValue(std::mt19937_64& rng) {
  static const size_t sizes[] = {0, 1, 5, 12, 127, 128, 300, 5000, 9000, 20000};
  size_t n = rng() % 100 < 90 ? rng() % 16 : sizes[rng() % 10];
  std::string v(n, 'a');
  for (auto& c : v) c = static_cast<char>('a' + rng() % 3);  // few distinct values: LREM hits
  return v;
}

TEST(ListObject, PushPopBothEnds) {
  ListObject l;
  for (int i = 0; i < 5000; ++i) l.PushBack("b" + std::to_string(i));
  for (int i = 0; i < 5000; ++i) l.PushFront("f" + std::to_string(i));
  EXPECT_EQ(l.size(), 10000u);
  std::string v;
  ASSERT_TRUE(l.Index(0, &v));
  EXPECT_EQ(v, "f4999");
  ASSERT_TRUE(l.Index(-1, &v));
  EXPECT_EQ(v, "b4999");
  ASSERT_TRUE(l.Index(5000, &v));
  EXPECT_EQ(v, "b0");
  EXPECT_FALSE(l.Index(10000, &v));
  EXPECT_FALSE(l.Index(-10001, &v));
  for (int i = 4999; i >= 0; --i) EXPECT_EQ(l.PopFront(), "f" + std::to_string(i));
  for (int i = 4999; i >= 0; --i) EXPECT_EQ(l.PopBack(), "b" + std::to_string(i));
  EXPECT_EQ(l.size(), 0u);
}

TEST(ListObject, QueueThroughOneChunkStaysSmall) {
  ListObject l;
  for (int i = 0; i < 100; ++i) l.PushBack("job:" + std::to_string(i));
  size_t before = l.MemoryUsage();
  for (int i = 100; i < 100000; ++i) {
    l.PushBack("job:" + std::to_string(i));
    EXPECT_EQ(l.PopFront(), "job:" + std::to_string(i - 100));
  }
  EXPECT_EQ(l.size(), 100u);
  EXPECT_LE(l.MemoryUsage(), before * 2);
}

TEST(ListObject, BigListCostsLittleMoreThanItsBytes) {
  ListObject l;
  size_t payload = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string v = "e" + std::to_string(i);
    payload += v.size() + 1;
    l.PushBack(v);
  }
  EXPECT_LT(l.MemoryUsage(), payload + payload / 20);
  ListObject f;
  for (int i = 0; i < 200000; ++i) f.PushFront("e" + std::to_string(i));
  EXPECT_LT(f.MemoryUsage(), payload + payload / 20);
}

TEST(ListObject, LargeElementsGetTheirOwnChunk) {
  ListObject l;
  std::string big(100000, 'x');
  l.PushBack("a");
  l.PushBack(big);
  l.PushFront(big);
  l.PushBack("b");
  EXPECT_EQ(All(l), (std::vector<std::string>{big, "a", big, "b"}));
  EXPECT_TRUE(l.Set(1, big));
  EXPECT_TRUE(l.Set(0, "c"));
  EXPECT_EQ(All(l), (std::vector<std::string>{"c", big, big, "b"}));
}

TEST(ListObject, RandomOperationsMatchADeque) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    ListObject l;
    std::deque<std::string> m;
    for (int step = 0; step < 3000; ++step) {
      int op = static_cast<int>(rng() % 100);
      if (op < 25) {
        std::string v = RandomValue(rng);
        l.PushBack(v);
        m.push_back(v);
      } else if (op < 50) {
        std::string v = RandomValue(rng);
        l.PushFront(v);
        m.push_front(v);
      } else if (op < 62) {
        if (!m.empty()) {
          ASSERT_EQ(l.PopFront(), m.front());
          m.pop_front();
        }
      } else if (op < 74) {
        if (!m.empty()) {
          ASSERT_EQ(l.PopBack(), m.back());
          m.pop_back();
        }
      } else if (op < 80) {
        if (!m.empty()) {
          int64_t i = static_cast<int64_t>(rng() % m.size());
          std::string v = RandomValue(rng);
          ASSERT_TRUE(l.Set(rng() % 2 ? i : i - static_cast<int64_t>(m.size()), v));
          m[static_cast<size_t>(i)] = v;
        }
      } else if (op < 86) {
        std::string pivot = RandomValue(rng), v = RandomValue(rng);
        bool before = rng() % 2;
        auto it = std::find(m.begin(), m.end(), pivot);
        ASSERT_EQ(l.Insert(pivot, v, before), it != m.end());
        if (it != m.end()) m.insert(before ? it : it + 1, v);
      } else if (op < 92) {
        std::string v = RandomValue(rng);
        int64_t count = static_cast<int64_t>(rng() % 5) - 2;
        size_t want = 0;
        size_t limit = count == 0 ? SIZE_MAX : static_cast<size_t>(count < 0 ? -count : count);
        if (count >= 0) {
          for (auto it = m.begin(); it != m.end() && want < limit;) {
            if (*it == v) it = m.erase(it), ++want;
            else ++it;
          }
        } else {
          for (size_t i = m.size(); i-- > 0 && want < limit;) {
            if (m[i] == v) m.erase(m.begin() + static_cast<std::ptrdiff_t>(i)), ++want;
          }
        }
        ASSERT_EQ(l.Remove(v, count), want);
      } else if (op < 95) {
        if (!m.empty()) {
          size_t a = rng() % (m.size() + 2), b = rng() % (m.size() + 2);
          l.Trim(a, b);
          if (a > b || a >= m.size()) {
            m.clear();
          } else {
            b = std::min(b, m.size() - 1);
            m = std::deque<std::string>(m.begin() + static_cast<std::ptrdiff_t>(a),
                                        m.begin() + static_cast<std::ptrdiff_t>(b) + 1);
          }
        }
      } else if (op < 98) {
        if (!m.empty()) {
          size_t a = rng() % m.size(), b = a + rng() % 50;
          std::vector<std::string> got;
          l.ForRange(a, b, [&](std::string_view v) { got.emplace_back(v); });
          std::vector<std::string> want(
              m.begin() + static_cast<std::ptrdiff_t>(a),
              m.begin() + static_cast<std::ptrdiff_t>(std::min(b + 1, m.size())));
          ASSERT_EQ(got, want);
        }
      } else {
        ListObject copy(l);
        ExpectSame(copy, m);
        EXPECT_EQ(copy.MemoryUsage() <= l.MemoryUsage() + 64, true);
      }
      if (step % 250 == 0) ExpectSame(l, m);
    }
    ExpectSame(l, m);
  }
}

}  // namespace
}  // namespace kora
