// Hot-key trackers on a Zipf trace: CountMinTopK (count-min sketch + top-k table, what the
// server uses) against SpaceSaving (Metwally et al.), and the cost of the whole per-command
// recording path (latency histogram + hot-key sketch). Accuracy and memory are reported as
// benchmark counters next to the time per operation; docs/design/observability.md records the
// numbers and the choice.
//
//   observe_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "observe/histogram.h"
#include "observe/hotkeys.h"

namespace {

using kora::observe::CountMinTopK;
using kora::observe::HotKey;
using kora::observe::LatencyHistogram;
using kora::observe::SpaceSaving;

constexpr int kKeys = 1000000;
constexpr int kOps = 2000000;

struct Trace {
  std::vector<std::string> keys;  // by rank
  std::vector<uint32_t> ops;      // ranks, Zipf(s) distributed
  std::vector<uint64_t> truth;    // exact count by rank
};

const Trace& ZipfTrace(double s) {
  static std::map<double, Trace> cache;
  auto it = cache.find(s);
  if (it != cache.end()) return it->second;
  Trace& t = cache[s];
  t.keys.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    t.keys.push_back("key:" + std::to_string(int64_t{i} * 7919 % kKeys));  // rank -> a name
  }
  std::vector<double> cdf(kKeys);
  double sum = 0;
  for (int i = 0; i < kKeys; ++i) cdf[i] = (sum += 1.0 / std::pow(i + 1, s));
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(0, sum);
  t.truth.assign(kKeys, 0);
  t.ops.reserve(kOps);
  for (int i = 0; i < kOps; ++i) {
    auto it = std::lower_bound(cdf.begin(), cdf.end(), u(rng));
    auto r = static_cast<uint32_t>(it - cdf.begin());
    r = std::min<uint32_t>(r, kKeys - 1);
    t.ops.push_back(r);
    ++t.truth[r];
  }
  return t;
}

// Recall of the true top n among the reported top n, and the mean relative count error of the
// reported keys.
template <class Tracker>
void Accuracy(benchmark::State& state, const Tracker& tr, const Trace& t, size_t n) {
  std::map<std::string, uint64_t> exact;
  for (int r = 0; r < static_cast<int>(n); ++r) exact[t.keys[r]] = t.truth[r];  // rank order
  std::vector<HotKey> top = tr.Top(n);
  double hits = 0, err = 0;
  for (const auto& hk : top) {
    auto it = exact.find(hk.key);
    if (it != exact.end()) {
      ++hits;
      err += std::fabs(static_cast<double>(hk.hits) - static_cast<double>(it->second)) /
             static_cast<double>(it->second);
    }
  }
  state.counters["recall@" + std::to_string(n)] = hits / static_cast<double>(n);
  state.counters["relerr@" + std::to_string(n)] = hits ? err / hits : 1.0;
}

template <class Tracker>
void RunTracker(benchmark::State& state, Tracker make()) {
  const Trace& t = ZipfTrace(static_cast<double>(state.range(0)) / 100.0);
  Tracker tr = make();
  size_t i = 0;
  for (auto _ : state) {
    tr.Add(t.keys[t.ops[i]]);
    if (++i == t.ops.size()) {
      i = 0;
      state.PauseTiming();
      tr = make();  // measure accuracy on exactly one pass of the trace
      state.ResumeTiming();
    }
  }
  // One clean pass for the accuracy numbers.
  Tracker clean = make();
  for (uint32_t r : t.ops) clean.Add(t.keys[r]);
  Accuracy(state, clean, t, 10);
  Accuracy(state, clean, t, 100);
  state.counters["memory_bytes"] = static_cast<double>(clean.MemoryBytes());
}

CountMinTopK MakeCms() { return CountMinTopK(128, 1 << 12); }     // the server's: 64 KB
CountMinTopK MakeCms256k() { return CountMinTopK(128, 1 << 14); }  // 256 KB
CountMinTopK MakeCms1MB() { return CountMinTopK(128, 1 << 16); }   // 1 MB
SpaceSaving MakeSs() { return SpaceSaving(128); }
SpaceSaving MakeSs1024() { return SpaceSaving(1024); }

void BM_CountMinTopK(benchmark::State& state) { RunTracker<CountMinTopK>(state, MakeCms); }
void BM_CountMinTopK_256KB(benchmark::State& state) {
  RunTracker<CountMinTopK>(state, MakeCms256k);
}
void BM_CountMinTopK_1MB(benchmark::State& state) { RunTracker<CountMinTopK>(state, MakeCms1MB); }
void BM_SpaceSaving128(benchmark::State& state) { RunTracker<SpaceSaving>(state, MakeSs); }
void BM_SpaceSaving1024(benchmark::State& state) { RunTracker<SpaceSaving>(state, MakeSs1024); }

// Zipf exponents 0 (uniform), 0.8, 1.0, 1.2 (x100).
BENCHMARK(BM_CountMinTopK)->Arg(0)->Arg(80)->Arg(100)->Arg(120);
BENCHMARK(BM_CountMinTopK_256KB)->Arg(0)->Arg(80)->Arg(100)->Arg(120);
BENCHMARK(BM_CountMinTopK_1MB)->Arg(0)->Arg(80)->Arg(100)->Arg(120);
BENCHMARK(BM_SpaceSaving128)->Arg(0)->Arg(80)->Arg(100)->Arg(120);
BENCHMARK(BM_SpaceSaving1024)->Arg(0)->Arg(80)->Arg(100)->Arg(120);

// The latency histogram alone (one index computation and three adds).
void BM_HistogramRecord(benchmark::State& state) {
  LatencyHistogram h;
  std::mt19937_64 rng(1);
  std::vector<int64_t> v(4096);
  for (auto& x : v) x = static_cast<int64_t>(rng() % 200);
  size_t i = 0;
  for (auto _ : state) {
    h.Record(v[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.total());
}
BENCHMARK(BM_HistogramRecord);

// What the server adds to each command: histogram record + sampled hot-key sketch update.
void BM_RecordPath(benchmark::State& state) {
  const Trace& t = ZipfTrace(1.0);
  LatencyHistogram h;
  CountMinTopK cms = MakeCms();
  size_t i = 0;
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  for (auto _ : state) {
    h.Record(static_cast<int64_t>(i & 7));
    rng ^= rng << 13;  // the server's sampling: 1 in 4 commands reach the sketch
    rng ^= rng >> 7;
    rng ^= rng << 17;
    if ((rng & 3) == 0) {
      const std::string& k = t.keys[t.ops[i]];
      cms.AddHashed(k, kora::observe::HashKey(k), 4);
    }
    if (++i == t.ops.size()) i = 0;
  }
  benchmark::DoNotOptimize(h.total());
}
BENCHMARK(BM_RecordPath);

}  // namespace

BENCHMARK_MAIN();
