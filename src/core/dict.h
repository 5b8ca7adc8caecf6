// A chained hash table with incremental rehashing and a stateless reverse-binary cursor scan.
//
// Node is any type with `Node* next` and `std::string_view Key() const`; the table owns its
// nodes through raw pointers and deletes them. Growth never stalls the owner: a resize moves at
// most a few buckets per operation (plus RehashFor() from the shard's timer). Scan() gives
// Redis's SCAN guarantee: every node present for the whole scan is visited at least once, even
// while the table grows or shrinks between calls. Owned by one shard; not thread-safe.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string_view>
#include <utility>

namespace kora {

template <class Node>
class Dict {
 public:
  Dict() : seed_(reinterpret_cast<uintptr_t>(this) * 0x9E3779B97F4A7C15ULL) {}
  ~Dict() { Clear(); }
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t bucket_count() const { return t_[0].size + t_[1].size; }
  bool rehashing() const { return rehash_idx_ >= 0; }

  uint64_t Hash(std::string_view key) const { return XXH3_64bits_withSeed(key.data(), key.size(), seed_); }

  Node* Find(std::string_view key) {
    if (size_ == 0) return nullptr;
    RehashStep();
    uint64_t h = Hash(key);
    for (int t = 0; t <= 1; ++t) {
      if (t_[t].size == 0) continue;
      for (Node* n = t_[t].buckets[h & t_[t].mask()]; n; n = n->next) {
        if (n->Key() == key) return n;
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Hints the CPU to load the bucket(s) `key` hashes to (first stage of a batched lookup).
  void PrefetchBucket(std::string_view key) const {
    if (size_ == 0) return;
    uint64_t h = Hash(key);
    for (int t = 0; t <= 1; ++t) {
      if (t_[t].size) __builtin_prefetch(&t_[t].buckets[h & t_[t].mask()]);
    }
  }
  // Second stage: loads the first node of the bucket (its bucket should be cached by now).
  void PrefetchNode(std::string_view key) const {
    if (size_ == 0) return;
    uint64_t h = Hash(key);
    for (int t = 0; t <= 1; ++t) {
      if (t_[t].size == 0) continue;
      const Node* n = t_[t].buckets[h & t_[t].mask()];
      if (n == nullptr) continue;
      // Every cache line of the node: an entry is 16-byte aligned, so its key and value
      // often straddle a line boundary.
      const char* p = reinterpret_cast<const char*>(n);
      for (size_t off = 0; off < sizeof(Node); off += 64) __builtin_prefetch(p + off);
      __builtin_prefetch(p + sizeof(Node) - 1);
    }
  }

  // Links a new node whose key must not be present.
  void Insert(Node* node) {
    RehashStep();
    MaybeGrow();
    uint64_t h = Hash(node->Key());
    Table& t = rehashing() ? t_[1] : t_[0];
    Node*& head = t.buckets[h & t.mask()];
    node->next = head;
    head = node;
    ++size_;
  }

  // Unlinks the node with `key` and returns it (the caller owns it), or nullptr.
  Node* Unlink(std::string_view key) {
    if (size_ == 0) return nullptr;
    RehashStep();
    uint64_t h = Hash(key);
    for (int t = 0; t <= 1; ++t) {
      if (t_[t].size == 0) continue;
      Node** pp = &t_[t].buckets[h & t_[t].mask()];
      for (Node* n = *pp; n; pp = &n->next, n = n->next) {
        if (n->Key() == key) {
          *pp = n->next;
          n->next = nullptr;
          --size_;
          return n;
        }
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  void Clear() {
    for (auto& t : t_) {
      for (size_t i = 0; i < t.size; ++i) {
        Node* n = t.buckets[i];
        while (n) {
          Node* next = n->next;
          delete n;
          n = next;
        }
      }
      t.buckets.reset();
      t.size = 0;
    }
    size_ = 0;
    rehash_idx_ = -1;
  }

  void Swap(Dict& other) {
    std::swap(t_, other.t_);
    std::swap(size_, other.size_);
    std::swap(rehash_idx_, other.rehash_idx_);
    std::swap(seed_, other.seed_);
  }

  // Visits the nodes of the bucket(s) named by `cursor`; returns the next cursor, 0 at the end.
  // `fn(Node*)` must not insert or erase.
  template <class Fn>
  uint64_t Scan(uint64_t v, Fn&& fn) {
    if (size_ == 0) return 0;
    if (!rehashing()) {
      const Table& t0 = t_[0];
      uint64_t m0 = t0.mask();
      EmitBucket(t0, v & m0, fn);
      v |= ~m0;
      v = Rev(v);
      ++v;
      v = Rev(v);
    } else {
      const Table* small = &t_[0];
      const Table* large = &t_[1];
      if (small->size > large->size) std::swap(small, large);
      uint64_t m0 = small->mask(), m1 = large->mask();
      EmitBucket(*small, v & m0, fn);
      do {
        EmitBucket(*large, v & m1, fn);
        v |= ~m1;
        v = Rev(v);
        ++v;
        v = Rev(v);
      } while (v & (m0 ^ m1));
    }
    return v;
  }

  // A uniformly chosen bucket's random node; nullptr when empty.
  template <class Rng>
  Node* Random(Rng& rng) {
    if (size_ == 0) return nullptr;
    for (int attempt = 0; attempt < 1000000; ++attempt) {
      size_t total = bucket_count();
      size_t i = std::uniform_int_distribution<size_t>(0, total - 1)(rng);
      const Table& t = i < t_[0].size ? t_[0] : t_[1];
      size_t b = i < t_[0].size ? i : i - t_[0].size;
      if (&t == &t_[0] && rehashing() && static_cast<int64_t>(b) < rehash_idx_) continue;
      Node* head = t.buckets[b];
      if (!head) continue;
      size_t len = 0;
      for (Node* n = head; n; n = n->next) ++len;
      size_t pick = std::uniform_int_distribution<size_t>(0, len - 1)(rng);
      Node* n = head;
      while (pick--) n = n->next;
      return n;
    }
    return nullptr;
  }

  // Calls fn(Node*) for every node. fn must not modify the table.
  template <class Fn>
  void ForEach(Fn&& fn) {
    for (auto& t : t_) {
      for (size_t i = 0; i < t.size; ++i) {
        for (Node* n = t.buckets[i]; n; n = n->next) fn(n);
      }
    }
  }

  // Spends up to `steps` bucket moves on a running rehash; returns true if more remains.
  bool RehashSteps(int steps) {
    while (steps-- > 0 && rehashing()) RehashStep();
    return rehashing();
  }

  // Starts a shrink when the table is far larger than its contents (called from the timer).
  void MaybeShrink() {
    if (rehashing() || t_[0].size <= kInitialSize) return;
    if (size_ * 8 < t_[0].size) StartResize(NextPow2(size_ < kInitialSize ? kInitialSize : size_));
  }

 private:
  static constexpr size_t kInitialSize = 4;

  struct Table {
    std::unique_ptr<Node*[]> buckets;
    size_t size = 0;
    uint64_t mask() const { return size ? size - 1 : 0; }
  };

  static uint64_t Rev(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }

  static size_t NextPow2(size_t n) {
    size_t s = kInitialSize;
    while (s < n) s <<= 1;
    return s;
  }

  template <class Fn>
  static void EmitBucket(const Table& t, uint64_t idx, Fn& fn) {
    for (Node* n = t.buckets[idx]; n;) {
      Node* next = n->next;
      fn(n);
      n = next;
    }
  }

  void StartResize(size_t new_size) {
    Table t;
    t.size = new_size;
    t.buckets.reset(new Node*[new_size]());
    if (t_[0].size == 0) {
      t_[0] = std::move(t);
      return;
    }
    t_[1] = std::move(t);
    rehash_idx_ = 0;
  }

  void MaybeGrow() {
    if (rehashing()) return;
    if (t_[0].size == 0) {
      StartResize(kInitialSize);
    } else if (size_ >= t_[0].size) {
      StartResize(NextPow2(size_ * 2));
    }
  }

  // Moves one bucket (visiting at most 10 empty ones) from the old table to the new one.
  void RehashStep() {
    if (!rehashing()) return;
    int empty_visits = 10;
    Table& from = t_[0];
    Table& to = t_[1];
    while (static_cast<size_t>(rehash_idx_) < from.size && !from.buckets[rehash_idx_]) {
      ++rehash_idx_;
      if (--empty_visits == 0) break;
    }
    if (static_cast<size_t>(rehash_idx_) < from.size && from.buckets[rehash_idx_]) {
      Node* n = from.buckets[rehash_idx_];
      while (n) {
        Node* next = n->next;
        Node*& head = to.buckets[Hash(n->Key()) & to.mask()];
        n->next = head;
        head = n;
        n = next;
      }
      from.buckets[rehash_idx_] = nullptr;
      ++rehash_idx_;
    }
    if (static_cast<size_t>(rehash_idx_) >= from.size) {
      t_[0] = std::move(t_[1]);
      t_[1] = Table();
      rehash_idx_ = -1;
    }
  }

  Table t_[2];
  size_t size_ = 0;
  int64_t rehash_idx_ = -1;
  uint64_t seed_;
};

}  // namespace kora
