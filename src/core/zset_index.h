// The member index of a large sorted set: an open-addressing hash table of ZEntry pointers.
//
// Each slot is one 64-bit word: 0 is empty, otherwise the entry's address with 16 bits of its
// hash (a tag that spares most dereferences on a probe) in bits 48-63. Linear probing, at most
// 3/4 full, deletion by backward shift (no tombstones). An element's home slot is given by the
// top bits of its hash, so slot order is hash order and Scan's cursor is a position in hash
// space: stable across growth and shrinking, which gives Redis's SCAN guarantee (an element
// present for the whole scan is returned at least once). The table owns the entries (Clear and
// the destructor free them). Owned by one sorted set on one shard; not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/zset_entry.h"

namespace kora {

class ZIndex {
 public:
  ZIndex() = default;
  ~ZIndex() { Clear(); }
  ZIndex(const ZIndex&) = delete;
  ZIndex& operator=(const ZIndex&) = delete;

  size_t size() const { return size_; }
  // Bytes owned by the slot array (entries not included).
  size_t SlotBytes() const;

  ZEntry* Find(std::string_view member) const;
  // Links an entry whose member is absent.
  void Insert(ZEntry* e);
  // Unlinks the entry of `member` and returns it (the caller frees it), or nullptr.
  ZEntry* Remove(std::string_view member);
  // Frees every entry.
  void Clear();
  // Sizes the table for `n` elements (never shrinks).
  void Reserve(size_t n);

  // Visits a few home slots starting at hash position `cursor` (0 to start), calling fn(entry)
  // for each element whose home is among them, until at least `count` elements were emitted.
  // Returns the next cursor, 0 when the scan is complete. fn must not modify the table.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

 private:
  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static constexpr int kMinLog2 = 3;

  static uint64_t Hash(std::string_view s);
  static ZEntry* EntryOf(uint64_t w) { return reinterpret_cast<ZEntry*>(w & kPtrMask); }
  static uint64_t Word(ZEntry* e, uint64_t hash) {
    return reinterpret_cast<uint64_t>(e) | ((hash & 0xffff) << 48);
  }
  size_t capacity() const { return slots_ ? size_t{1} << log2_ : 0; }
  size_t HomeOfHash(uint64_t h) const { return static_cast<size_t>(h >> (64 - log2_)); }
  size_t HomeOf(uint64_t w) const { return HomeOfHash(Hash(EntryOf(w)->member())); }
  void Resize(int log2);
  void Place(uint64_t w, uint64_t hash);

  uint64_t* slots_ = nullptr;
  int log2_ = 0;
  size_t size_ = 0;
};

template <class Fn>
uint64_t ZIndex::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (size_ == 0) return 0;
  size_t cap = capacity();
  size_t mask = cap - 1;
  int shift = 64 - log2_;
  // The home slot whose hash range holds the cursor (rounding down: after a shrink, part of
  // it may be emitted again, which SCAN allows; nothing is skipped).
  size_t home = static_cast<size_t>(cursor >> shift);
  size_t emitted = 0;
  size_t visited = 0;
  while (home < cap) {
    // Elements whose home is `home` sit in the run of occupied slots starting there.
    for (size_t i = home;; i = (i + 1) & mask) {
      uint64_t w = slots_[i];
      if (w == 0) break;
      if (HomeOf(w) == home) {
        fn(EntryOf(w));
        ++emitted;
      }
      if (++visited > cap) break;
    }
    ++home;
    if (emitted >= count) break;
  }
  if (home >= cap) return 0;
  return static_cast<uint64_t>(home) << shift;
}

}  // namespace kora
