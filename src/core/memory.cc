#include "core/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "core/memory_detail.h"

// Sanitizer builds keep the sanitizer's own allocator hooks (memory_hooks.cc is not linked) and
// ask its allocator instead: exact, and mallinfo2() would only see glibc's unused heap there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KORA_SANITIZER_ALLOCATOR 1
extern "C" size_t __sanitizer_get_current_allocated_bytes();  // ASan and TSan runtimes
#endif

namespace kora {
namespace memory {
namespace detail {

Slot g_slots[kSlots];
Slot g_transit[kSlots];
std::atomic<int> g_next_slot{0};
std::atomic<bool> g_hooks_active{false};
thread_local int t_slot = -1;

int ClaimSlot() {
  int s = g_next_slot.fetch_add(1, std::memory_order_relaxed);
  return s < kShared ? s : kShared;
}

void Account(int64_t delta) {
  int s = t_slot;
  if (__builtin_expect(s < 0, 0)) s = t_slot = ClaimSlot();
  std::atomic<int64_t>& a = g_slots[s].bytes;
  if (__builtin_expect(s == kShared, 0)) {
    a.fetch_add(delta, std::memory_order_relaxed);
  } else {
    a.store(a.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
}

}  // namespace detail

using detail::g_slots;

bool HooksActive() { return detail::g_hooks_active.load(std::memory_order_relaxed); }

uint64_t UsedMemory() {
  if (!HooksActive()) {
#ifdef KORA_SANITIZER_ALLOCATOR
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return static_cast<uint64_t>(mi.uordblks + mi.hblkhd);
#endif
  }
  int n = detail::g_next_slot.load(std::memory_order_relaxed);
  if (n > detail::kShared) n = detail::kShared;
  int64_t sum = g_slots[detail::kShared].bytes.load(std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) sum += g_slots[i].bytes.load(std::memory_order_relaxed);
  return sum > 0 ? static_cast<uint64_t>(sum) : 0;
}

void AddInTransit(int64_t delta) {
  int s = detail::t_slot;
  if (__builtin_expect(s < 0, 0)) s = detail::t_slot = detail::ClaimSlot();
  std::atomic<int64_t>& a = detail::g_transit[s].bytes;
  if (__builtin_expect(s == detail::kShared, 0)) {
    a.fetch_add(delta, std::memory_order_relaxed);
  } else {
    a.store(a.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
}

uint64_t InTransit() {
  int n = detail::g_next_slot.load(std::memory_order_relaxed);
  if (n > detail::kShared) n = detail::kShared;
  int64_t sum = detail::g_transit[detail::kShared].bytes.load(std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) sum += detail::g_transit[i].bytes.load(std::memory_order_relaxed);
  return sum > 0 ? static_cast<uint64_t>(sum) : 0;
}

int64_t ThreadBalance() {
  int s = detail::t_slot;
  return s < 0 ? 0 : g_slots[s].bytes.load(std::memory_order_relaxed);
}

uint64_t RssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

AllocatorInfo GetAllocatorInfo() {
  struct mallinfo2 mi = mallinfo2();
  AllocatorInfo info;
  info.allocated = mi.uordblks + mi.hblkhd;
  info.active = mi.arena + mi.hblkhd;
  info.retained = mi.fordblks;
  info.resident = RssBytes();
  return info;
}

bool Purge() { return malloc_trim(0) != 0; }

std::string MallocStatsText() {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  if (f == nullptr) return {};
  malloc_info(0, f);
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

std::string BytesToHuman(uint64_t n) {
  char buf[64];
  double d = static_cast<double>(n);
  if (n < 1024) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(n));
  } else if (n < 1024ULL * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fK", d / 1024);
  } else if (n < 1024ULL * 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fM", d / (1024.0 * 1024));
  } else if (n < 1024ULL * 1024 * 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fG", d / (1024.0 * 1024 * 1024));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
  }
  return buf;
}

namespace {
inline int64_t Held(void* p) {
  return static_cast<int64_t>(malloc_usable_size(p)) + 8;  // the convention of memory_hooks.cc
}
}  // namespace

void* Malloc(size_t n) {
  void* p = std::malloc(n);
  if (p != nullptr && detail::g_hooks_active.load(std::memory_order_relaxed)) {
    detail::Account(Held(p));
  }
  return p;
}

void* Calloc(size_t count, size_t size) {
  void* p = std::calloc(count, size);
  if (p != nullptr && detail::g_hooks_active.load(std::memory_order_relaxed)) {
    detail::Account(Held(p));
  }
  return p;
}

void* Realloc(void* p, size_t n) {
  bool counting = detail::g_hooks_active.load(std::memory_order_relaxed);
  int64_t before = (counting && p != nullptr) ? Held(p) : 0;
  void* q = std::realloc(p, n);
  if (counting) {
    if (q != nullptr) {
      detail::Account(Held(q) - before);
    } else if (n == 0) {
      detail::Account(-before);  // realloc(p, 0) may free p
    }
  }
  return q;
}

void Free(void* p) {
  if (p == nullptr) return;
  if (detail::g_hooks_active.load(std::memory_order_relaxed)) detail::Account(-Held(p));
  std::free(p);
}

}  // namespace memory
}  // namespace kora
