#include "observe/histogram.h"

#include <algorithm>
#include <cmath>

namespace kora::observe {

int64_t LatencyHistogram::ValueFromIndex(int index) {
  int bucket = (index >> (kSubBucketBits - 1)) - 1;
  int sub = (index & (kSubBucketHalf - 1)) + kSubBucketHalf;
  if (bucket < 0) {
    sub -= kSubBucketHalf;
    bucket = 0;
  }
  return static_cast<int64_t>(sub) << bucket;
}

int64_t LatencyHistogram::HighestEquivalent(int index) {
  int bucket = (index >> (kSubBucketBits - 1)) - 1;
  if (bucket < 0) bucket = 0;
  return ValueFromIndex(index) + (int64_t{1} << bucket) - 1;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int k = 0; k < kChunkCount; ++k) {
    const uint64_t* src = other.chunks_[k].get();
    if (src == nullptr) continue;
    uint64_t* dst = Chunk(k << (kSubBucketBits - 1));
    for (int j = 0; j < kSubBucketHalf; ++j) dst[j] += src[j];
  }
  for (int i = 0; i < kSmall; ++i) small_[i] += other.small_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Reset() {
  for (auto& c : chunks_) {
    if (c) std::fill(c.get(), c.get() + kSubBucketHalf, 0);
  }
  std::fill(std::begin(small_), std::end(small_), 0);
  total_ = sum_ = 0;
  max_ = 0;
}

int64_t LatencyHistogram::ValueAtPercentile(double p) const {
  if (total_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto want = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
  if (want == 0) want = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kCountsLen; ++i) {
    seen += Count(i);
    if (seen >= want) return std::min<int64_t>(HighestEquivalent(i), max_);
  }
  return max_;
}

uint64_t LatencyHistogram::CountAtOrBelow(int64_t v) const {
  if (v < 0) return 0;
  if (v >= kMaxValue) return total_;
  int last = IndexOf(v);
  // Values sharing the last index are counted only if the whole index is <= v.
  if (HighestEquivalent(last) > v) --last;
  uint64_t n = 0;
  for (int i = 0; i <= last; ++i) n += Count(i);
  return n;
}

std::vector<std::pair<uint32_t, uint64_t>> LatencyHistogram::Sparse() const {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (int i = 0; i < kCountsLen; ++i) {
    if (uint64_t n = Count(i)) out.emplace_back(static_cast<uint32_t>(i), n);
  }
  return out;
}

void LatencyHistogram::MergeSparse(const std::vector<std::pair<uint32_t, uint64_t>>& sparse,
                                   uint64_t sum, int64_t max) {
  for (const auto& [i, n] : sparse) {
    if (i < static_cast<uint32_t>(kCountsLen)) {
      Chunk(static_cast<int>(i))[i & (kSubBucketHalf - 1)] += n;
      total_ += n;
    }
  }
  sum_ += sum;
  max_ = std::max(max_, max);
}

}  // namespace kora::observe
