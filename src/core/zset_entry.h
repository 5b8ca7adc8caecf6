// One element of a large sorted set: a heap block
//   [next: 8 bytes][score: 8 bytes][varint length][member bytes]
// where `next` chains the entry in the member index (a Dict).
//
// Entries are created by ZEntry::Make and freed by ZEntry::Free (or `delete`, which the Dict
// uses); the member index owns them and the order tree (ZTree) only points at them. The ordering is Redis's:
// by score, then by member bytes (memcmp, shorter first on a common prefix).
#pragma once

#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include "core/memory.h"

namespace kora {

struct ZEntry {
  ZEntry* next;
  double score;
  // Followed by the varint length and the member bytes.

  static ZEntry* Make(std::string_view member, double score) {
    size_t n = sizeof(ZEntry) + VarintLen(member.size()) + member.size();
    void* p = memory::Malloc(n);
    if (p == nullptr) throw std::bad_alloc();
    ZEntry* e = static_cast<ZEntry*>(p);
    e->next = nullptr;
    e->score = score;
    char* d = reinterpret_cast<char*>(e) + sizeof(ZEntry);
    uint64_t v = member.size();
    while (v >= 0x80) {
      *d++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *d++ = static_cast<char>(v);
    if (!member.empty()) std::memcpy(d, member.data(), member.size());
    return e;
  }
  static void Free(ZEntry* e) { memory::Free(e); }
  // The Dict frees its nodes with `delete`.
  static void operator delete(void* p) { memory::Free(p); }
  // Bytes the allocator holds for the entry (usable size plus the chunk header).
  size_t AllocatedBytes() const { return malloc_usable_size(const_cast<ZEntry*>(this)) + 8; }

  std::string_view Key() const { return member(); }
  std::string_view member() const {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(this) + sizeof(ZEntry);
    uint64_t len = 0;
    int shift = 0;
    uint8_t b;
    do {
      b = *p++;
      len |= uint64_t{b & 0x7fu} << shift;
      shift += 7;
    } while (b & 0x80);
    return std::string_view(reinterpret_cast<const char*>(p), len);
  }

  static size_t VarintLen(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
      v >>= 7;
      ++n;
    }
    return n;
  }
};

// Three-way comparison of (score, member) pairs in sorted-set order.
inline int ZCompare(double s1, std::string_view m1, double s2, std::string_view m2) {
  if (s1 < s2) return -1;
  if (s1 > s2) return 1;
  int c = m1.compare(m2);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

inline int ZCompare(double score, std::string_view member, const ZEntry* e) {
  return ZCompare(score, member, e->score, e->member());
}

}  // namespace kora
