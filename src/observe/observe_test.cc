#include <gtest/gtest.h>

#include <random>
#include <string>

#include "observe/histogram.h"
#include "observe/hotkeys.h"
#include "observe/latency_monitor.h"
#include "observe/slowlog.h"

namespace kora::observe {
namespace {

TEST(LatencyHistogram, ExactBelow2048AndThreeDigitsAbove) {
  for (int64_t v : {0, 1, 2, 100, 1023, 1024, 2047}) {
    int i = LatencyHistogram::IndexOf(v);
    EXPECT_EQ(LatencyHistogram::ValueFromIndex(i), v);
    EXPECT_EQ(LatencyHistogram::HighestEquivalent(i), v);
  }
  for (int64_t v = 2048; v < LatencyHistogram::kMaxValue; v = v * 3 / 2 + 7) {
    int i = LatencyHistogram::IndexOf(v);
    ASSERT_LT(i, LatencyHistogram::kCountsLen);
    int64_t lo = LatencyHistogram::ValueFromIndex(i), hi = LatencyHistogram::HighestEquivalent(i);
    EXPECT_LE(lo, v);
    EXPECT_GE(hi, v);
    EXPECT_LE(static_cast<double>(hi - lo) / static_cast<double>(v), 1.0 / 1000);
  }
  EXPECT_LT(LatencyHistogram::IndexOf(LatencyHistogram::kMaxValue),
            LatencyHistogram::kCountsLen);
}

TEST(LatencyHistogram, PercentilesAndMerge) {
  LatencyHistogram a, b;
  for (int v = 1; v <= 1000; ++v) a.Record(v);
  for (int v = 1001; v <= 2000; ++v) b.Record(v);
  EXPECT_EQ(a.ValueAtPercentile(50), 500);
  EXPECT_EQ(a.ValueAtPercentile(99), 990);
  EXPECT_EQ(a.ValueAtPercentile(100), 1000);
  a.Merge(b);
  EXPECT_EQ(a.total(), 2000u);
  EXPECT_EQ(a.ValueAtPercentile(50), 1000);
  EXPECT_EQ(a.max(), 2000);
  EXPECT_EQ(a.CountAtOrBelow(1500), 1500u);
  LatencyHistogram c;
  c.MergeSparse(a.Sparse(), a.sum(), a.max());
  EXPECT_EQ(c.total(), a.total());
  EXPECT_EQ(c.ValueAtPercentile(99.9), a.ValueAtPercentile(99.9));
  c.Record(100'000'000);  // clamped
  EXPECT_EQ(c.max(), LatencyHistogram::kMaxValue);
}

TEST(HotKeys, TenHotKeysAmongManyAreFoundWithin5Percent) {
  CountMinTopK cms;
  SpaceSaving ss;
  std::mt19937_64 rng(7);
  std::vector<uint64_t> truth(10, 0);
  const int n = 400000;
  for (int i = 0; i < n; ++i) {
    std::string k;
    if (rng() % 2 == 0) {
      int h = static_cast<int>(rng() % 10);
      ++truth[h];
      k = "hot:" + std::to_string(h);
    } else {
      k = "cold:" + std::to_string(rng() % 1000000);
    }
    cms.Add(k);
    ss.Add(k);
  }
  auto top = cms.Top(10);
  ASSERT_EQ(top.size(), 10u);
  for (const auto& hk : top) {
    ASSERT_EQ(hk.key.rfind("hot:", 0), 0u) << hk.key;
    uint64_t want = truth[std::stoi(hk.key.substr(4))];
    EXPECT_NEAR(static_cast<double>(hk.hits), static_cast<double>(want), want * 0.05);
  }
  auto t = ss.Top(10);
  for (const auto& hk : t) EXPECT_EQ(hk.key.rfind("hot:", 0), 0u) << hk.key;
}

TEST(Slowlog, TruncatesLikeRedis) {
  std::vector<std::string> store;
  for (int i = 0; i < 40; ++i) store.push_back("a" + std::to_string(i));
  store[1] = std::string(200, 'x');
  std::vector<std::string_view> args(store.begin(), store.end());
  auto out = SlowlogArgs(args);
  ASSERT_EQ(out.size(), 32u);
  EXPECT_EQ(out[1], std::string(128, 'x') + "... (72 more bytes)");
  EXPECT_EQ(out[31], "... (9 more arguments)");
  Slowlog log;
  for (int i = 0; i < 5; ++i) log.Push(SlowlogEntry{static_cast<uint64_t>(i)}, 3);
  ASSERT_EQ(log.entries().size(), 3u);
  EXPECT_EQ(log.entries().front().id, 4u);
}

TEST(LatencyMonitor, SameSecondKeepsMaxAndMergeUnions) {
  LatencySeries a, b;
  a.Add(100, 5);
  a.Add(100, 9);
  a.Add(101, 3);
  b.Add(101, 7);
  b.Add(102, 1);
  a.Merge(b);
  ASSERT_EQ(a.samples.size(), 3u);
  EXPECT_EQ(a.samples[0].latency, 9u);
  EXPECT_EQ(a.samples[1].latency, 7u);
  EXPECT_EQ(a.max, 9u);
}

}  // namespace
}  // namespace kora::observe
