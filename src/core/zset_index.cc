#include "core/zset_index.h"

#include <xxhash.h>

#include <cstdlib>
#include <new>

namespace kora {

uint64_t ZIndex::Hash(std::string_view s) {
  return XXH3_64bits_withSeed(s.data(), s.size(), 0x7a736574u);
}

size_t ZIndex::SlotBytes() const { return slots_ ? malloc_usable_size(slots_) + 8 : 0; }

ZEntry* ZIndex::Find(std::string_view member) const {
  if (size_ == 0) return nullptr;
  uint64_t h = Hash(member);
  uint64_t tag = h & 0xffff;
  size_t mask = capacity() - 1;
  for (size_t i = HomeOfHash(h);; i = (i + 1) & mask) {
    uint64_t w = slots_[i];
    if (w == 0) return nullptr;
    if ((w >> 48) == tag && EntryOf(w)->member() == member) return EntryOf(w);
  }
}

void ZIndex::Place(uint64_t w, uint64_t hash) {
  size_t mask = capacity() - 1;
  size_t i = HomeOfHash(hash);
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = w;
}

void ZIndex::Insert(ZEntry* e) {
  if ((size_ + 1) * 4 > capacity() * 3) Resize(log2_ == 0 ? kMinLog2 : log2_ + 1);
  uint64_t h = Hash(e->member());
  Place(Word(e, h), h);
  ++size_;
}

ZEntry* ZIndex::Remove(std::string_view member) {
  if (size_ == 0) return nullptr;
  uint64_t h = Hash(member);
  uint64_t tag = h & 0xffff;
  size_t mask = capacity() - 1;
  size_t slot = HomeOfHash(h);
  for (;; slot = (slot + 1) & mask) {
    uint64_t w = slots_[slot];
    if (w == 0) return nullptr;
    if ((w >> 48) == tag && EntryOf(w)->member() == member) break;
  }
  ZEntry* e = EntryOf(slots_[slot]);
  slots_[slot] = 0;
  --size_;
  // Backward shift: pull later elements of the run into the hole when their home allows it.
  size_t hole = slot;
  for (size_t j = (slot + 1) & mask;; j = (j + 1) & mask) {
    uint64_t w = slots_[j];
    if (w == 0) break;
    size_t home = HomeOf(w);
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      slots_[hole] = w;
      slots_[j] = 0;
      hole = j;
    }
  }
  if (log2_ > kMinLog2 && size_ * 8 < capacity()) {
    int lg = kMinLog2;
    while ((size_t{1} << lg) * 3 < size_ * 4 * 2) ++lg;
    if (lg < log2_) Resize(lg);
  }
  return e;
}

void ZIndex::Clear() {
  if (slots_ == nullptr) return;
  size_t cap = capacity();
  for (size_t i = 0; i < cap; ++i) {
    if (slots_[i] != 0) ZEntry::Free(EntryOf(slots_[i]));
  }
  std::free(slots_);
  slots_ = nullptr;
  log2_ = 0;
  size_ = 0;
}

void ZIndex::Reserve(size_t n) {
  int lg = log2_ == 0 ? kMinLog2 : log2_;
  while ((size_t{1} << lg) * 3 < n * 4) ++lg;
  if (lg > log2_) Resize(lg);
}

void ZIndex::Resize(int log2) {
  uint64_t* old = slots_;
  size_t old_cap = capacity();
  void* p = std::calloc(size_t{1} << log2, sizeof(uint64_t));
  if (p == nullptr) throw std::bad_alloc();
  slots_ = static_cast<uint64_t*>(p);
  log2_ = log2;
  for (size_t i = 0; i < old_cap; ++i) {
    uint64_t w = old[i];
    if (w == 0) continue;
    Place(w, Hash(EntryOf(w)->member()));
  }
  std::free(old);
}

}  // namespace kora
