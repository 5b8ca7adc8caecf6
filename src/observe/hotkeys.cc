#include "observe/hotkeys.h"

#include <xxhash.h>

#include <algorithm>

namespace kora::observe {

uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

CountMinTopK::CountMinTopK(int k, int width)
    : k_(k),
      width_(static_cast<size_t>(width)),
      mask_(static_cast<uint32_t>(width - 1)),
      counters_(static_cast<size_t>(width) * kRows, 0) {
  top_.reserve(k_);
  top_hash_.reserve(k_);
}

void CountMinTopK::AddHashed(std::string_view key, uint64_t h, uint32_t weight) {
  uint32_t est = UINT32_MAX;
  for (int r = 0; r < kRows; ++r) {
    uint32_t& c = counters_[Index(h, r)];
    c = c > UINT32_MAX - weight ? UINT32_MAX : c + weight;
    est = std::min(est, c);
  }
  bool full = top_.size() == static_cast<size_t>(k_);
  if (full && est <= min_count_) return;
  auto it = where_.find(h);
  if (it != where_.end()) {
    top_[it->second].hits = est;
    if (it->second == min_index_ && full) RecomputeMin();
    return;
  }
  if (!full) {
    where_.emplace(h, static_cast<uint32_t>(top_.size()));
    top_.push_back(HotKey{std::string(key), est});
    top_hash_.push_back(h);
    if (top_.size() == static_cast<size_t>(k_)) RecomputeMin();
    return;
  }
  if (est <= min_count_ + min_count_ / 8) return;  // hysteresis: no churn on flat traffic
  // Replace the lightest tracked key.
  HotKey& slot = top_[min_index_];
  where_.erase(top_hash_[min_index_]);
  slot.key.assign(key.data(), key.size());
  slot.hits = est;
  top_hash_[min_index_] = h;
  where_.emplace(h, min_index_);
  RecomputeMin();
}

void CountMinTopK::RecomputeMin() {
  min_index_ = 0;
  min_count_ = top_.empty() ? 0 : top_[0].hits;
  for (size_t i = 1; i < top_.size(); ++i) {
    if (top_[i].hits < min_count_) {
      min_count_ = top_[i].hits;
      min_index_ = static_cast<uint32_t>(i);
    }
  }
}

uint64_t CountMinTopK::Estimate(std::string_view key) const {
  uint64_t h = HashKey(key);
  uint32_t est = UINT32_MAX;
  for (int r = 0; r < kRows; ++r) est = std::min(est, counters_[Index(h, r)]);
  return est;
}

std::vector<HotKey> CountMinTopK::Top(size_t n) const {
  std::vector<HotKey> out = top_;
  std::sort(out.begin(), out.end(), [](const HotKey& a, const HotKey& b) {
    return a.hits != b.hits ? a.hits > b.hits : a.key < b.key;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

void CountMinTopK::Decay() {
  for (auto& c : counters_) c >>= 1;
  for (auto& t : top_) t.hits >>= 1;
  if (top_.size() == static_cast<size_t>(k_)) RecomputeMin();
}

void CountMinTopK::Reset() {
  std::fill(counters_.begin(), counters_.end(), 0);
  top_.clear();
  top_hash_.clear();
  where_.clear();
  min_count_ = 0;
  min_index_ = 0;
}

size_t CountMinTopK::MemoryBytes() const {
  size_t n = counters_.size() * sizeof(uint32_t) + top_.capacity() * sizeof(HotKey);
  for (const auto& t : top_) n += t.key.capacity();
  return n + where_.capacity() * (sizeof(uint64_t) + sizeof(uint32_t) + 1);
}

SpaceSaving::SpaceSaving(int k) : k_(static_cast<size_t>(k)) { heap_.reserve(k_); }

void SpaceSaving::Swap(size_t a, size_t b) {
  std::swap(heap_[a], heap_[b]);
  where_[heap_[a].hash] = static_cast<uint32_t>(a);
  where_[heap_[b].hash] = static_cast<uint32_t>(b);
}

void SpaceSaving::SiftDown(size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < heap_.size() && heap_[l].count < heap_[m].count) m = l;
    if (r < heap_.size() && heap_[r].count < heap_[m].count) m = r;
    if (m == i) return;
    Swap(i, m);
    i = m;
  }
}

void SpaceSaving::AddHashed(std::string_view key, uint64_t h) {
  auto it = where_.find(h);
  if (it != where_.end()) {
    ++heap_[it->second].count;
    SiftDown(it->second);
    return;
  }
  if (heap_.size() < k_) {
    // Counts start at 1, the minimum, so the new slot may sit at the end of the heap only if
    // no smaller count exists; sift it up.
    heap_.push_back(Slot{std::string(key), h, 1});
    size_t i = heap_.size() - 1;
    where_[h] = static_cast<uint32_t>(i);
    while (i > 0 && heap_[(i - 1) / 2].count > heap_[i].count) {
      Swap(i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
    return;
  }
  Slot& root = heap_[0];
  where_.erase(root.hash);
  root.key.assign(key.data(), key.size());
  root.hash = h;
  ++root.count;
  where_[h] = 0;
  SiftDown(0);
}

std::vector<HotKey> SpaceSaving::Top(size_t n) const {
  std::vector<HotKey> out;
  out.reserve(heap_.size());
  for (const auto& s : heap_) out.push_back(HotKey{s.key, s.count});
  std::sort(out.begin(), out.end(), [](const HotKey& a, const HotKey& b) {
    return a.hits != b.hits ? a.hits > b.hits : a.key < b.key;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

void SpaceSaving::Decay() {
  for (auto& s : heap_) s.count >>= 1;  // halving keeps the heap order
}

size_t SpaceSaving::MemoryBytes() const {
  size_t n = heap_.capacity() * sizeof(Slot);
  for (const auto& s : heap_) n += s.key.capacity();
  return n + where_.capacity() * (sizeof(uint64_t) + sizeof(uint32_t) + 1);
}

}  // namespace kora::observe
