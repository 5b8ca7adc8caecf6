// Replacements of the global operator new/delete that count every block in the calling
// thread's slot (core/memory_detail.h). Linked into the kora-server executable only (an object
// library), so embedding applications keep their own allocator hooks. A block is counted as
// malloc_usable_size() + 8, the chunk glibc really holds, the same convention the collections'
// MemoryUsage() uses. See docs/design/memory.md.
#include <malloc.h>

#include <cstdlib>
#include <new>

#include "core/memory_detail.h"

namespace {

using kora::memory::detail::Account;

constexpr int64_t kChunkHeader = 8;

inline void* Counted(void* p) {
  if (p != nullptr) Account(static_cast<int64_t>(malloc_usable_size(p)) + kChunkHeader);
  return p;
}

inline void Release(void* p) {
  if (p == nullptr) return;
  Account(-(static_cast<int64_t>(malloc_usable_size(p)) + kChunkHeader));
  std::free(p);
}

void* AllocOrThrow(size_t n) {
  if (n == 0) n = 1;
  for (;;) {
    void* p = std::malloc(n);
    if (p != nullptr) return Counted(p);
    std::new_handler h = std::get_new_handler();
    if (h == nullptr) throw std::bad_alloc();
    h();
  }
}

void* AlignedAllocOrThrow(size_t n, std::align_val_t al) {
  size_t a = static_cast<size_t>(al);
  if (a < sizeof(void*)) a = sizeof(void*);
  if (n == 0) n = 1;
  for (;;) {
    void* p = nullptr;
    if (posix_memalign(&p, a, n) == 0) return Counted(p);
    std::new_handler h = std::get_new_handler();
    if (h == nullptr) throw std::bad_alloc();
    h();
  }
}

struct MarkActive {
  MarkActive() { kora::memory::detail::g_hooks_active.store(true); }
} mark_active;

}  // namespace

void* operator new(size_t n) { return AllocOrThrow(n); }
void* operator new[](size_t n) { return AllocOrThrow(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return AllocOrThrow(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return AllocOrThrow(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(size_t n, std::align_val_t al) { return AlignedAllocOrThrow(n, al); }
void* operator new[](size_t n, std::align_val_t al) { return AlignedAllocOrThrow(n, al); }
void* operator new(size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  try {
    return AlignedAllocOrThrow(n, al);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  try {
    return AlignedAllocOrThrow(n, al);
  } catch (...) {
    return nullptr;
  }
}

void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  Release(p);
}
