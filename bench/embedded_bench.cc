// Embedded-mode micro benchmarks (Google Benchmark): kora::Database calls from application
// threads, each beside the same operation on an absl::flat_hash_map behind a std::shared_mutex
// (the usual hand-rolled in-process cache), in the same run.
//
//   build/bench/embedded_bench [--benchmark_filter=Get]
//
// - *Latency: one caller thread, each call timed; counters p50_ns / p99_ns.
// - Get / Set with threads 1..8: throughput (items_per_second, summed over the threads).
// - MGet / MSet: batches of 100 keys (keys on every shard; items = keys).
// Keys: 100k preloaded, 16-byte values, chosen uniformly at random.
#include <absl/container/flat_hash_map.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <vector>

#include "kora/database.h"

namespace {

constexpr int kKeys = 100000;
constexpr int kBatch = 100;
const std::string kValue(16, 'v');

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (int i = 0; i < kKeys; ++i) k.push_back("key:" + std::to_string(i));
    return k;
  }();
  return keys;
}

kora::Database& Db() {
  static std::unique_ptr<kora::Database> db = [] {
    kora::Config cfg;  // shard_count 0: one shard per hardware thread
    if (const char* s = std::getenv("KORA_BENCH_SHARDS")) cfg.shard_count = std::atoi(s);
    if (const char* s = std::getenv("KORA_BENCH_IDLE_POLL_US")) cfg.idle_poll_us = std::atoi(s);
    auto opened = kora::Database::Open(cfg);
    if (!opened.ok()) std::abort();
    auto d = std::move(opened).value();
    for (const auto& k : Keys()) (void)d->Set(k, kValue);
    return d;
  }();
  return *db;
}

// The baseline: one map, readers share the lock, writers take it alone.
struct LockedMap {
  std::shared_mutex mu;
  absl::flat_hash_map<std::string, std::string> map;

  std::optional<std::string> Get(std::string_view k) {
    std::shared_lock lk(mu);
    auto it = map.find(absl::string_view(k.data(), k.size()));
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
  void Set(std::string_view k, std::string_view v) {
    std::unique_lock lk(mu);
    map.insert_or_assign(std::string(k), std::string(v));
  }
};

LockedMap& Map() {
  static LockedMap* m = [] {
    auto* lm = new LockedMap();
    for (const auto& k : Keys()) lm->map.emplace(k, kValue);
    return lm;
  }();
  return *m;
}

// A random key index stream per thread.
struct KeyPicker {
  explicit KeyPicker(int seed) : rng(static_cast<uint32_t>(seed) * 7919u + 1), dist(0, kKeys - 1) {}
  const std::string& Next() { return Keys()[static_cast<size_t>(dist(rng))]; }
  std::mt19937 rng;
  std::uniform_int_distribution<int> dist;
};

// --- Latency: one caller, every call timed --------------------------------------------------

template <class Op>
void Latency(benchmark::State& state, Op op) {
  KeyPicker keys(1);
  std::vector<int64_t> ns;
  ns.reserve(1 << 20);
  for (auto _ : state) {
    const std::string& k = keys.Next();
    auto t0 = std::chrono::steady_clock::now();
    op(k);
    auto t1 = std::chrono::steady_clock::now();
    if (ns.size() < ns.capacity()) {
      ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    }
  }
  std::sort(ns.begin(), ns.end());
  if (!ns.empty()) {
    state.counters["p50_ns"] = static_cast<double>(ns[ns.size() / 2]);
    state.counters["p99_ns"] = static_cast<double>(ns[ns.size() * 99 / 100]);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Kora_GetLatency(benchmark::State& state) {
  kora::Database& db = Db();
  Latency(state, [&](const std::string& k) { benchmark::DoNotOptimize(db.Get(k)); });
}
void BM_Map_GetLatency(benchmark::State& state) {
  LockedMap& m = Map();
  Latency(state, [&](const std::string& k) { benchmark::DoNotOptimize(m.Get(k)); });
}
void BM_Kora_SetLatency(benchmark::State& state) {
  kora::Database& db = Db();
  Latency(state, [&](const std::string& k) { benchmark::DoNotOptimize(db.Set(k, kValue)); });
}
void BM_Map_SetLatency(benchmark::State& state) {
  LockedMap& m = Map();
  Latency(state, [&](const std::string& k) { m.Set(k, kValue); });
}

// --- Throughput: 1..8 caller threads --------------------------------------------------------

void BM_Kora_Get(benchmark::State& state) {
  kora::Database& db = Db();
  KeyPicker keys(state.thread_index() + 1);
  for (auto _ : state) benchmark::DoNotOptimize(db.Get(keys.Next()));
  state.SetItemsProcessed(state.iterations());
}
void BM_Map_Get(benchmark::State& state) {
  LockedMap& m = Map();
  KeyPicker keys(state.thread_index() + 1);
  for (auto _ : state) benchmark::DoNotOptimize(m.Get(keys.Next()));
  state.SetItemsProcessed(state.iterations());
}
void BM_Kora_Set(benchmark::State& state) {
  kora::Database& db = Db();
  KeyPicker keys(state.thread_index() + 1);
  for (auto _ : state) benchmark::DoNotOptimize(db.Set(keys.Next(), kValue));
  state.SetItemsProcessed(state.iterations());
}
void BM_Map_Set(benchmark::State& state) {
  LockedMap& m = Map();
  KeyPicker keys(state.thread_index() + 1);
  for (auto _ : state) m.Set(keys.Next(), kValue);
  state.SetItemsProcessed(state.iterations());
}

// --- Batches of kBatch keys -----------------------------------------------------------------

std::vector<std::string_view> Batch(KeyPicker& keys) {
  std::vector<std::string_view> b;
  b.reserve(kBatch);
  for (int i = 0; i < kBatch; ++i) b.push_back(keys.Next());
  return b;
}

void BM_Kora_MGet(benchmark::State& state) {
  kora::Database& db = Db();
  KeyPicker keys(state.thread_index() + 1);
  for (auto _ : state) {
    auto b = Batch(keys);
    benchmark::DoNotOptimize(db.MGet(b));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_Map_MGet(benchmark::State& state) {
  LockedMap& m = Map();
  KeyPicker keys(state.thread_index() + 1);
  for (auto _ : state) {
    auto b = Batch(keys);
    std::vector<std::optional<std::string>> out;
    out.reserve(b.size());
    {
      std::shared_lock lk(m.mu);
      for (auto k : b) {
        auto it = m.map.find(absl::string_view(k.data(), k.size()));
        out.push_back(it == m.map.end() ? std::nullopt : std::optional<std::string>(it->second));
      }
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_Kora_MSet(benchmark::State& state) {
  kora::Database& db = Db();
  KeyPicker keys(state.thread_index() + 1);
  for (auto _ : state) {
    std::vector<kora::Database::Pair> kv;
    kv.reserve(kBatch);
    for (auto k : Batch(keys)) kv.emplace_back(k, kValue);
    benchmark::DoNotOptimize(db.MSet(kv));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_Map_MSet(benchmark::State& state) {
  LockedMap& m = Map();
  KeyPicker keys(state.thread_index() + 1);
  for (auto _ : state) {
    auto b = Batch(keys);
    std::unique_lock lk(m.mu);
    for (auto k : b) m.map.insert_or_assign(std::string(k), kValue);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

BENCHMARK(BM_Kora_GetLatency);
BENCHMARK(BM_Map_GetLatency);
BENCHMARK(BM_Kora_SetLatency);
BENCHMARK(BM_Map_SetLatency);
BENCHMARK(BM_Kora_Get)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_Map_Get)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_Kora_Set)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_Map_Set)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_Kora_MGet)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_Map_MGet)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_Kora_MSet)->ThreadRange(1, 8)->UseRealTime();
BENCHMARK(BM_Map_MSet)->ThreadRange(1, 8)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
