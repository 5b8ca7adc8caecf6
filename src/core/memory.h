// Process memory accounting: how many bytes the allocator has handed out and not yet taken back
// (Redis's used_memory), plus views of the allocator and the OS (RSS, arenas, trimming).
//
// The count comes from global operator new/delete replacements (memory_hooks.cc, linked only
// into the kora-server executable): each allocation adds malloc_usable_size() of its block to
// a counter slot owned by the allocating thread, each free subtracts it from the freeing
// thread's slot. A slot is written only by its thread (relaxed load + store, no lock prefix);
// readers sum all slots. A block freed on another thread than the one that allocated it makes
// the two slots drift apart but leaves the sum exact. Without the hooks (the embedded library,
// unit tests) UsedMemory() falls back to glibc's mallinfo2(), which is exact but takes the
// arena locks. See docs/design/memory.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kora {
namespace memory {

// True when the operator new/delete hooks are linked into this process.
bool HooksActive();
// Bytes allocated and not freed, summed over every thread (Redis's zmalloc_used_memory).
// Cost: one relaxed load per thread that ever allocated (a few cache lines).
uint64_t UsedMemory();
// The calling thread's own signed balance (allocations minus frees made on this thread).
// Cheap: one thread-local load. Its change across an operation done on this thread is the
// bytes that operation allocated or freed (used to measure what an eviction freed).
int64_t ThreadBalance();

// Bytes of command arguments travelling between threads (a hop's copy of its arguments):
// counted in UsedMemory() but not for maxmemory, as Redis leaves replication and AOF buffers
// out (mem_not_counted_for_evict). Without this a burst of pipelined writes to other shards
// would be charged twice, as arguments in flight and as the keys they become. Per-thread
// slots like the allocation counters; AddInTransit is cheap, InTransit sums.
void AddInTransit(int64_t delta);
uint64_t InTransit();

// Resident set size of the process (/proc/self/statm).
uint64_t RssBytes();

// What glibc's allocator reports (mallinfo2): bytes in use, bytes mapped from the OS for the
// heap arenas (active) and for large blocks (mmapped), free bytes kept in the arenas.
struct AllocatorInfo {
  uint64_t allocated = 0;  // in use (uordblks + hblkhd)
  uint64_t active = 0;     // arena + mmapped bytes obtained from the OS
  uint64_t resident = 0;   // RSS
  uint64_t retained = 0;   // free bytes kept in arenas (fordblks)
};
AllocatorInfo GetAllocatorInfo();

// Gives free arena memory back to the OS (malloc_trim). Returns true when something was freed.
bool Purge();

// glibc's malloc_info() XML report.
std::string MallocStatsText();

// Bytes glibc really holds for a request of `n` bytes (chunk header, 16-byte steps, 32 min).
inline size_t ChunkBytes(size_t n) {
  size_t c = (n + 8 + 15) & ~size_t{15};
  return c < 32 ? 32 : c;
}

// Redis's bytesToHuman ("1.50M").
std::string BytesToHuman(uint64_t n);

// malloc/realloc/free for the buffers the data structures manage themselves (listpacks,
// intsets, sorted-set entries, blob tables): counted in used_memory exactly as operator new
// is while the counting hooks are active (kora-server), plain libc calls otherwise.
void* Malloc(size_t n);
void* Calloc(size_t count, size_t size);
void* Realloc(void* p, size_t n);
void Free(void* p);

}  // namespace memory
}  // namespace kora
