// A compact open-addressing hash table of byte strings ("payloads"), the large encoding of
// hashes and sets (Redis's "hashtable").
//
// Each slot is one 64-bit word: 0 is empty; a word with bit 0 set holds a payload of up to 7
// bytes inline (bits 1-3: length, bytes 1-7: data); any other word is a pointer to a heap block
// [varint length][payload] with the top 16 bits of the key's hash in bits 48-63 (a tag that
// spares most dereferences on a probe). Linear probing, at most 3/4 full, deletion by backward
// shift (no tombstones). The home slot of a key is the top bits of its hash, so slot order is
// hash order: Scan's cursor is a position in hash space, stable across growth and shrinking
// (Redis's SCAN guarantee: an element present for the whole scan is returned at least once).
//
// `Traits::Key(payload)` extracts the lookup key from a payload (sets: the payload itself;
// hashes: the field of [varint flen][field][value]). Owned by one collection object on one
// shard; not thread-safe.
#pragma once

#include <malloc.h>
#include <xxhash.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string_view>
#include <utility>
#include "core/memory.h"

namespace kora {

static_assert(std::endian::native == std::endian::little, "inline payloads assume little endian");

namespace blob {

inline size_t VarintLen(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Reads a varint written by PutVarint (trusted data, no bounds check).
inline const char* GetVarint(const char* p, uint64_t* v) {
  uint64_t r = 0;
  int shift = 0;
  uint8_t b;
  do {
    b = static_cast<uint8_t>(*p++);
    r |= uint64_t{b & 0x7fu} << shift;
    shift += 7;
  } while (b & 0x80);
  *v = r;
  return p;
}

// Bytes the allocator really holds for a block from malloc (usable size plus its header).
inline size_t AllocatedBytes(const void* p) { return malloc_usable_size(const_cast<void*>(p)) + 8; }
// Bytes the allocator holds for a request of `n` bytes (glibc: header, 16-byte steps, 32 min),
// for objects whose address may not come from malloc.
inline size_t ChunkBytes(size_t n) {
  size_t c = (n + 8 + 15) & ~size_t{15};
  return c < 32 ? 32 : c;
}

inline uint64_t HashBytes(std::string_view s) {
  return XXH3_64bits_withSeed(s.data(), s.size(), 0x6b6f7261u);
}

}  // namespace blob

template <class Traits>
class BlobTable {
 public:
  static constexpr size_t kNpos = ~size_t{0};
  static constexpr size_t kMaxInline = 7;

  BlobTable() = default;
  ~BlobTable() { Clear(); }
  BlobTable(const BlobTable&) = delete;
  BlobTable& operator=(const BlobTable&) = delete;

  size_t size() const { return size_; }
  size_t capacity() const { return slots_ ? size_t{1} << log2_ : 0; }
  // Bytes owned: the slot array and every heap block, as the allocator counts them.
  size_t MemoryUsage() const { return (slots_ ? blob::AllocatedBytes(slots_) : 0) + heap_bytes_; }

  // The slot holding `key`, or kNpos.
  size_t Find(std::string_view key) const {
    if (size_ == 0) return kNpos;
    uint64_t h = blob::HashBytes(key);
    uint64_t tag = h >> 48;
    size_t mask = capacity() - 1;
    for (size_t i = h >> (64 - log2_);; i = (i + 1) & mask) {
      uint64_t w = slots_[i];
      if (w == 0) return kNpos;
      if (w & 1) {
        if (Traits::Key(InlineView(i)) == key) return i;
      } else if ((w >> 48) == tag && Traits::Key(HeapView(w)) == key) {
        return i;
      }
    }
  }

  // Looks `key` up for an insertion: returns {slot, true} when present, else {the empty slot
  // where it belongs, false}; *hash receives the key's hash for PlaceAt. Grows the table first
  // when one more element would pass the load limit.
  std::pair<size_t, bool> FindForInsert(std::string_view key, uint64_t* hash) {
    if ((size_ + 1) * 4 > capacity() * 3) Resize(log2_ == 0 ? kMinLog2 : log2_ + 1);
    uint64_t h = blob::HashBytes(key);
    *hash = h;
    uint64_t tag = h >> 48;
    size_t mask = capacity() - 1;
    for (size_t i = h >> (64 - log2_);; i = (i + 1) & mask) {
      uint64_t w = slots_[i];
      if (w == 0) return {i, false};
      if (w & 1) {
        if (Traits::Key(InlineView(i)) == key) return {i, true};
      } else if ((w >> 48) == tag && Traits::Key(HeapView(w)) == key) {
        return {i, true};
      }
    }
  }

  // Stores `payload` in the empty `slot` returned by FindForInsert (no other change between).
  void PlaceAt(size_t slot, uint64_t hash, std::string_view payload) {
    slots_[slot] = MakeWord(hash, payload);
    ++size_;
  }

  // Inserts a payload whose key is known to be absent.
  void InsertNew(std::string_view payload) {
    uint64_t h;
    auto [slot, found] = FindForInsert(Traits::Key(payload), &h);
    if (!found) PlaceAt(slot, h, payload);
  }

  // Replaces the payload of an occupied slot with one of the same key.
  void ReplaceAt(size_t slot, std::string_view payload) {
    uint64_t w = slots_[slot];
    if (!(w & 1) && payload.size() > kMaxInline) {
      char* p = reinterpret_cast<char*>(w & kPtrMask);
      size_t need = blob::VarintLen(payload.size()) + payload.size();
      size_t usable = malloc_usable_size(p);
      if (need <= usable && need * 2 >= usable) {  // rewrite in place when it fits snugly
        char* d = blob::PutVarint(p, payload.size());
        std::memmove(d, payload.data(), payload.size());
        return;
      }
    }
    uint64_t hash = (w & 1) ? 0 : (w & ~kPtrMask);
    if (payload.size() > kMaxInline && (w & 1)) hash = blob::HashBytes(Traits::Key(payload));
    uint64_t nw = MakeWord(hash, payload);  // before freeing: payload may point into the block
    FreeWord(w);
    slots_[slot] = nw;
  }

  // Removes the element in an occupied slot. Slot numbers are invalid afterwards (the table
  // may shrink).
  void EraseAt(size_t slot) {
    FreeWord(slots_[slot]);
    slots_[slot] = 0;
    --size_;
    size_t mask = capacity() - 1;
    size_t hole = slot;
    for (size_t j = (slot + 1) & mask;; j = (j + 1) & mask) {
      uint64_t w = slots_[j];
      if (w == 0) break;
      size_t home = HomeOf(w, j);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots_[hole] = w;
        slots_[j] = 0;
        hole = j;
      }
    }
    MaybeShrink();
  }

  bool Erase(std::string_view key) {
    size_t s = Find(key);
    if (s == kNpos) return false;
    EraseAt(s);
    return true;
  }

  void Clear() {
    if (slots_ == nullptr) return;
    size_t cap = capacity();
    for (size_t i = 0; i < cap; ++i) FreeWord(slots_[i]);
    memory::Free(slots_);
    slots_ = nullptr;
    log2_ = 0;
    size_ = 0;
    heap_bytes_ = 0;
  }

  // Sizes the table for `n` elements (never shrinks).
  void Reserve(size_t n) {
    uint8_t k = kMinLog2;
    while ((size_t{1} << k) * 3 < n * 4) ++k;
    if (k > log2_) Resize(k);
  }

  void CopyFrom(const BlobTable& o) {
    Clear();
    if (o.slots_ == nullptr) return;
    size_t cap = o.capacity();
    slots_ = static_cast<uint64_t*>(memory::Malloc(cap * sizeof(uint64_t)));
    log2_ = o.log2_;
    size_ = o.size_;
    for (size_t i = 0; i < cap; ++i) {
      uint64_t w = o.slots_[i];
      if (w != 0 && !(w & 1)) {
        std::string_view pl = o.HeapView(w);
        w = MakeWord(w & ~kPtrMask, pl);
      }
      slots_[i] = w;
    }
  }

  bool occupied(size_t slot) const { return slots_[slot] != 0; }
  // The payload in an occupied slot; valid until the table changes.
  std::string_view PayloadAt(size_t slot) const {
    uint64_t w = slots_[slot];
    return (w & 1) ? InlineView(slot) : HeapView(w);
  }

  // Calls fn(payload) for every element, in slot order.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    size_t cap = capacity();
    for (size_t i = 0; i < cap; ++i) {
      if (slots_[i] != 0) fn(PayloadAt(i));
    }
  }

  // Calls fn(payload) in slot order until it returns false; false when stopped early.
  template <class Fn>
  bool ForEachWhile(Fn&& fn) const {
    size_t cap = capacity();
    for (size_t i = 0; i < cap; ++i) {
      if (slots_[i] != 0 && !fn(PayloadAt(i))) return false;
    }
    return true;
  }

  // Visits the elements whose home is the slot covering `cursor`, a position in a 48-bit hash
  // space (the hash's top 48 bits, so cursors stay small positive numbers); returns the next
  // cursor, 0 when the scan is complete.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    if (size_ == 0) return 0;
    size_t mask = capacity() - 1;
    size_t b = (cursor << 16) >> (64 - log2_);
    for (size_t i = b; slots_[i] != 0; i = (i + 1) & mask) {
      if (HomeOf(slots_[i], i) == b) fn(PayloadAt(i));
    }
    if (b == mask) return 0;
    return static_cast<uint64_t>(b + 1) << (48 - log2_);
  }

  // A uniformly chosen occupied slot; the table must not be empty.
  size_t RandomSlot(std::mt19937_64& rng) const {
    size_t mask = capacity() - 1;
    for (;;) {
      size_t i = rng() & mask;
      if (slots_[i] != 0) return i;
    }
  }

 private:
  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static constexpr uint8_t kMinLog2 = 2;

  std::string_view InlineView(size_t slot) const {
    return {reinterpret_cast<const char*>(&slots_[slot]) + 1, (slots_[slot] >> 1) & 7};
  }
  static std::string_view HeapView(uint64_t w) {
    const char* p = reinterpret_cast<const char*>(w & kPtrMask);
    uint64_t n;
    const char* d = blob::GetVarint(p, &n);
    return {d, static_cast<size_t>(n)};
  }

  // The word for a payload; `hash` supplies the tag of a heap word (only bits 48-63 are used).
  uint64_t MakeWord(uint64_t hash, std::string_view payload) {
    if (payload.size() <= kMaxInline) {
      uint64_t w = 1 | (uint64_t{payload.size()} << 1);
      if (!payload.empty())
        std::memcpy(reinterpret_cast<char*>(&w) + 1, payload.data(), payload.size());
      return w;
    }
    size_t need = blob::VarintLen(payload.size()) + payload.size();
    char* p = static_cast<char*>(memory::Malloc(need));
    if (p == nullptr) std::abort();
    char* d = blob::PutVarint(p, payload.size());
    std::memcpy(d, payload.data(), payload.size());
    heap_bytes_ += blob::AllocatedBytes(p);
    uint64_t addr = reinterpret_cast<uint64_t>(p);
    if (addr & ~kPtrMask) std::abort();  // user-space pointers fit in 48 bits on supported CPUs
    return addr | (hash & ~kPtrMask);
  }

  void FreeWord(uint64_t w) {
    if (w == 0 || (w & 1)) return;
    void* p = reinterpret_cast<void*>(w & kPtrMask);
    heap_bytes_ -= blob::AllocatedBytes(p);
    memory::Free(p);
  }

  size_t HomeOf(uint64_t w, size_t slot) const {
    if (w & 1) return blob::HashBytes(Traits::Key(InlineView(slot))) >> (64 - log2_);
    if (log2_ <= 16) return (w >> 48) >> (16 - log2_);
    return blob::HashBytes(Traits::Key(HeapView(w))) >> (64 - log2_);
  }

  void Resize(uint8_t new_log2) {
    uint64_t* old = slots_;
    size_t old_cap = capacity();
    uint8_t old_log2 = log2_;
    size_t cap = size_t{1} << new_log2;
    slots_ = static_cast<uint64_t*>(memory::Calloc(cap, sizeof(uint64_t)));
    if (slots_ == nullptr) std::abort();
    log2_ = new_log2;
    size_t mask = cap - 1;
    for (size_t i = 0; i < old_cap; ++i) {
      uint64_t w = old[i];
      if (w == 0) continue;
      size_t home;
      if (w & 1) {
        std::string_view pl{reinterpret_cast<const char*>(&old[i]) + 1, (w >> 1) & 7};
        home = blob::HashBytes(Traits::Key(pl)) >> (64 - new_log2);
      } else if (new_log2 <= 16) {
        home = (w >> 48) >> (16 - new_log2);
      } else {
        home = blob::HashBytes(Traits::Key(HeapView(w))) >> (64 - new_log2);
      }
      size_t j = home;
      while (slots_[j] != 0) j = (j + 1) & mask;
      slots_[j] = w;
    }
    (void)old_log2;
    memory::Free(old);
  }

  void MaybeShrink() {
    if (log2_ <= kMinLog2 || size_ * 8 >= capacity()) return;
    if (size_ == 0) {
      memory::Free(slots_);
      slots_ = nullptr;
      log2_ = 0;
      return;
    }
    uint8_t k = kMinLog2;
    while ((size_t{1} << k) < size_ * 2) ++k;
    if (k < log2_) Resize(k);
  }

  uint64_t* slots_ = nullptr;
  uint8_t log2_ = 0;  // capacity is 1 << log2_ while slots_ is set
  size_t size_ = 0;
  size_t heap_bytes_ = 0;
};

}  // namespace kora
