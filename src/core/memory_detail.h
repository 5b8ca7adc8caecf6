// Internals of the allocation counters (core/memory.h): per-thread slots written by the
// operator new/delete hooks (memory_hooks.cc) and summed by UsedMemory().
#pragma once

#include <atomic>
#include <cstdint>

namespace kora {
namespace memory {
namespace detail {

// One counter per thread, each on its own cache line. Threads past kShared share the last slot
// (updated with fetch_add).
inline constexpr int kSlots = 256;
inline constexpr int kShared = kSlots - 1;
struct alignas(64) Slot {
  std::atomic<int64_t> bytes{0};
};
extern Slot g_slots[kSlots];
extern Slot g_transit[kSlots];  // bytes in transit (AddInTransit), same slot per thread
extern thread_local int t_slot;
int ClaimSlot();
extern std::atomic<int> g_next_slot;
extern std::atomic<bool> g_hooks_active;

// Adds `delta` bytes to the calling thread's slot. Never allocates.
void Account(int64_t delta);

}  // namespace detail
}  // namespace memory
}  // namespace kora
