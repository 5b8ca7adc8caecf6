// Hot-key tracking: a count-min sketch that estimates every key's hits, plus a top-k table of
// the heaviest keys seen (CountMinTopK, used by the server), and a Space-Saving top-k
// (SpaceSaving) kept for the comparison in bench/observe_hotkeys_bench.cc. Both belong to one
// worker (one per shard, no locks); the server merges the shards' top-k lists when read (a key
// lives on one shard, so the lists are disjoint). Decay() halves every count so that the
// ranking follows the recent traffic. See docs/design/observability.md for the numbers.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kora::observe {

struct HotKey {
  std::string key;
  uint64_t hits = 0;
};

// 64-bit hash of a key (XXH3).
uint64_t HashKey(std::string_view key);

// The sketch has 4 independent rows (256 KB with the default width, so it stays in L2);
// Prefetch() lets the caller start loading a key's 4 counters before it needs them. (A
// "blocked" layout with all 4 counters in one cache line was measured and rejected: rows that
// share a line's slots let cold keys shadow hot ones; docs/design/observability.md.) A key
// enters a full top-k table only when its estimate beats the table's minimum by 1/8
// (hysteresis), so flat traffic does not churn the table.
class CountMinTopK {
 public:
  // 4 rows of `width` counters each (width a power of two, >= 4); keeps the `k` heaviest keys.
  explicit CountMinTopK(int k = 128, int width = 1 << 14);

  // Counts one hit of `key`. Cost: one hash, one cache line of counters, and a table lookup
  // only when the key's estimate reaches the current top-k minimum.
  void Add(std::string_view key) { AddHashed(key, HashKey(key), 1); }
  // Adds `weight` hits of a key whose HashKey() is `h` (weight > 1 when sampling).
  void AddHashed(std::string_view key, uint64_t h, uint32_t weight);
  // Starts loading the counters of hash `h` into the cache.
  void Prefetch(uint64_t h) const {
    for (int r = 0; r < kRows; ++r) __builtin_prefetch(&counters_[Index(h, r)], 1);
  }
  // Estimated hits of any key (never below the truth before a Decay()).
  uint64_t Estimate(std::string_view key) const;
  // The tracked heaviest keys, heaviest first.
  std::vector<HotKey> Top(size_t n) const;
  void Decay();  // halves every counter and tracked count
  void Reset();
  size_t MemoryBytes() const;

 private:
  static constexpr int kRows = 4;
  // Row r uses h1 + r * h2 (Kirsch-Mitzenmacher double hashing).
  size_t Index(uint64_t h, int r) const {
    uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32) | 1;
    return static_cast<size_t>(r) * width_ + ((h1 + static_cast<uint32_t>(r) * h2) & mask_);
  }
  void RecomputeMin();

  int k_;
  size_t width_;
  uint32_t mask_;
  std::vector<uint32_t> counters_;  // kRows rows of width_ counters
  std::vector<HotKey> top_;                       // unordered, at most k_
  std::vector<uint64_t> top_hash_;                // hash of top_[i].key
  absl::flat_hash_map<uint64_t, uint32_t> where_;  // key hash -> index in top_
  uint64_t min_count_ = 0;                        // smallest count in top_ when full
  uint32_t min_index_ = 0;
};

// Space-Saving (Metwally et al.): k monitored keys with counts; an unmonitored key replaces the
// key with the smallest count and inherits that count plus one (an overestimate).
class SpaceSaving {
 public:
  explicit SpaceSaving(int k = 128);
  void Add(std::string_view key) { AddHashed(key, HashKey(key)); }
  void AddHashed(std::string_view key, uint64_t h);
  std::vector<HotKey> Top(size_t n) const;
  void Decay();
  size_t MemoryBytes() const;

 private:
  struct Slot {
    std::string key;
    uint64_t hash;
    uint64_t count;
  };
  void SiftDown(size_t i);
  void Swap(size_t a, size_t b);

  size_t k_;
  std::vector<Slot> heap_;  // min-heap by count
  absl::flat_hash_map<uint64_t, uint32_t> where_;
};

}  // namespace kora::observe
