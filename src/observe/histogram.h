// A log-linear latency histogram (HdrHistogram's layout, own code): values in microseconds
// from 0 to 60 s, 3 significant digits (every value below 2048 µs is exact; above, a bucket
// is at most 1/1024 of its value wide). Counts are plain integers: one histogram is written by
// one thread only (its worker). Histograms of the same layout merge by adding counts, so
// per-worker histograms are summed when read. 17,408 counters in 17 chunks of 8 KB, one per
// power of two, each allocated when a value first lands in it: a command whose latencies span
// a few magnitudes costs a few chunks, not 139 KB. See docs/design/observability.md.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace kora::observe {

class LatencyHistogram {
 public:
  static constexpr int64_t kMaxValue = 60'000'000;  // µs; larger values are clamped
  static constexpr int kSubBucketBits = 11;         // 2048 sub-buckets: 3 significant digits
  static constexpr int kSubBucketHalf = 1 << (kSubBucketBits - 1);
  static constexpr int kBucketCount = 16;  // 2048 << 15 > kMaxValue
  static constexpr int kCountsLen = (kBucketCount + 1) * kSubBucketHalf;

  LatencyHistogram() = default;

  // Records one value (µs; negative counts as 0). A few ns: values below kSmall (most
  // commands) touch only this object's first cache lines; others one more counter.
  void Record(int64_t value_us) {
    if (value_us < 0) value_us = 0;
    if (value_us < kSmall) {
      ++small_[value_us];
    } else {
      if (value_us > kMaxValue) value_us = kMaxValue;
      int i = IndexOf(value_us);
      ++Chunk(i)[i & (kSubBucketHalf - 1)];
    }
    ++total_;
    sum_ += static_cast<uint64_t>(value_us);
    if (value_us > max_) max_ = value_us;
  }

  void Merge(const LatencyHistogram& other);
  void Reset();

  uint64_t total() const { return total_; }
  uint64_t sum() const { return sum_; }
  int64_t max() const { return max_; }
  // The highest value equivalent to the value at percentile p (0..100), as HdrHistogram's
  // hdr_value_at_percentile; 0 when empty.
  int64_t ValueAtPercentile(double p) const;
  // Number of recorded values <= v.
  uint64_t CountAtOrBelow(int64_t v) const;
  // Non-zero (index, count) pairs, to copy or ship a histogram compactly.
  std::vector<std::pair<uint32_t, uint64_t>> Sparse() const;
  // Adds counts given as Sparse() pairs (plus the totals they came with).
  void MergeSparse(const std::vector<std::pair<uint32_t, uint64_t>>& sparse, uint64_t sum,
                   int64_t max);

  static int IndexOf(int64_t v) {
    uint64_t u = static_cast<uint64_t>(v) | (kSubBucketHalf * 2 - 1);
    int bucket = 63 - __builtin_clzll(u) - (kSubBucketBits - 1);
    int sub = static_cast<int>(static_cast<uint64_t>(v) >> bucket);
    return ((bucket + 1) << (kSubBucketBits - 1)) + (sub - kSubBucketHalf);
  }
  static int64_t ValueFromIndex(int index);
  // Highest value that maps to the same index.
  static int64_t HighestEquivalent(int index);

 private:
  // Values 0..kSmall-1 have index == value; they are counted in small_, kept next to the
  // totals so that recording a fast command does not reach into the chunks.
  static constexpr int kSmall = 32;
  static constexpr int kChunkCount = kBucketCount + 1;  // kSubBucketHalf counters each
  uint64_t Raw(int i) const {
    const auto& c = chunks_[i >> (kSubBucketBits - 1)];
    return c ? c[i & (kSubBucketHalf - 1)] : 0;
  }
  uint64_t Count(int i) const { return i < kSmall ? Raw(i) + small_[i] : Raw(i); }
  // The chunk holding index i, allocated (zeroed) on first use.
  uint64_t* Chunk(int i) {
    auto& c = chunks_[i >> (kSubBucketBits - 1)];
    if (!c) c.reset(new uint64_t[kSubBucketHalf]());
    return c.get();
  }

  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  int64_t max_ = 0;
  uint64_t small_[kSmall] = {};
  std::unique_ptr<uint64_t[]> chunks_[kChunkCount];
};

}  // namespace kora::observe
