// Bounded single-producer single-consumer ring. Lock-free; one cache line per index.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace kora {

template <class T>
class SpscQueue {
 public:
  explicit SpscQueue(size_t capacity_pow2) : cap_(capacity_pow2), buf_(new T[capacity_pow2]) {}

  // Producer only. False when full (the caller keeps the item and retries later).
  bool TryPush(T v) {
    size_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ >= cap_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ >= cap_) return false;
    }
    buf_[t & (cap_ - 1)] = std::move(v);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // Consumer only.
  bool TryPop(T* out) {
    size_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return false;
    }
    *out = std::move(buf_[h & (cap_ - 1)]);
    head_.store(h + 1, std::memory_order_release);
    return true;
  }

  // Either side; a hint.
  bool Empty() const {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
  }

 private:
  const size_t cap_;
  std::unique_ptr<T[]> buf_;
  alignas(64) std::atomic<size_t> head_{0};
  size_t tail_cache_ = 0;  // consumer's view of tail_
  alignas(64) std::atomic<size_t> tail_{0};
  size_t head_cache_ = 0;  // producer's view of head_
};

}  // namespace kora
