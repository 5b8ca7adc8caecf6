// maxmemory enforcement for the whole server, and the MEMORY command family.
//
// MemoryGuard (one per Service) mirrors the maxmemory CONFIG parameters into atomics and runs
// Redis's performEvictions before each command while maxmemory is set, on the connection's
// worker: when the process's used memory (core/memory.h, exact, server-wide) exceeds the limit,
// the excess is split evenly among the shards that still hold evictable keys. The local shard
// evicts its share at once; the others are handed theirs as a debt they pay on their own thread
// soon after (bytes still owed count as already freed, so the same excess is never assigned
// twice). With noeviction, or nothing evictable anywhere, a command that may grow memory is
// answered with Redis's OOM error. See docs/design/memory.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "core/evict.h"

namespace kora {

class Service;
class ConnContext;

inline constexpr std::string_view kOomError =
    "OOM command not allowed when used memory > 'maxmemory'.";

class MemoryGuard {
 public:
  explicit MemoryGuard(Service* svc);
  ~MemoryGuard();

  EvictParams& params() { return params_; }
  // One relaxed load: Dispatch calls Admit only when this is true.
  bool enabled() const { return params_.maxmemory.load(std::memory_order_relaxed) != 0; }

  // Redis's performEvictions plus the OOM decision of processCommand, for a command about to
  // run for `conn` (on conn's worker). False: reject the command with kOomError.
  bool Admit(ConnContext& conn, const CommandSpec* spec);

  // Evicts keys of the calling worker's shard until `bytes` were freed, nothing is evictable
  // or the tenacity time limit passes. Returns the bytes freed.
  int64_t EvictLocal(int64_t bytes, bool* ran_out, bool* timed_out);

  // Keys this shard could evict under the current policy, as last published (any thread).
  uint64_t PublishedEvictable(int shard) const;
  // Used memory when the service was built (Redis's used_memory_startup).
  uint64_t startup_bytes() const { return startup_bytes_; }
  // Hash table overhead of every shard's databases, as last published (INFO memory).
  uint64_t PublishedOverhead() const;
  // Clients' buffers on every worker, as last published (INFO mem_clients_normal).
  uint64_t PublishedClients() const;
  // INFO stats total_eviction_exceeded_time / current_eviction_exceeded_time, in ms: how long
  // used memory stayed over maxmemory after an eviction pass (Redis's EVICT_RUNNING/FAIL).
  uint64_t ExceededTotalMs() const;
  uint64_t ExceededCurrentMs() const;

 private:
  struct ShardState;
  // Splits `over` bytes among the eligible shards; false when none can evict.
  bool PerformEvictions(int64_t over);
  void AddDebt(int shard, int64_t bytes);
  void PayDebt();      // on the indebted shard's thread
  // Frees `bytes` on the calling worker's shard, using and refilling its credit. Returns the
  // bytes still owed (when it ran out of keys or time).
  int64_t Pay(int64_t bytes, bool* ran_out, bool* timed_out);
  // On a shard's thread: its evictable key counts and table overhead, and with `clients`
  // its connections' buffers (O(connections): the 100 ms timer only).
  void Publish(bool clients = false);
  void NoteExceeded(bool over);
  uint64_t LocalEvictable();

  Service* svc_;
  EvictParams params_;
  std::vector<std::unique_ptr<ShardState>> shards_;
  std::atomic<int64_t> pending_debt_{0};  // bytes assigned to shards and not yet paid
  uint64_t startup_bytes_ = 0;
  std::atomic<int64_t> exceeded_since_us_{0};  // 0: not over the limit
  std::atomic<uint64_t> exceeded_total_us_{0};
};

// MEMORY USAGE of one key: its entry, key and value blocks as the allocator holds them.
size_t KeyMemoryUsage(const KeyEntry& e);
// Redis's overhead.hashtable.main / .expires for one database of one shard.
void DbOverhead(DbTable& db, uint64_t* main, uint64_t* expires);
// Bytes a connection's buffers hold (Redis's clients.normal share of one client).
uint64_t ConnectionMemory(const ConnContext& c);
// Raises the recorded used_memory_peak to `used` if higher; returns the peak.
uint64_t NotePeakMemory(Service& svc, uint64_t used);

void RegisterMemoryFamily(Service& svc);

// Called on the shard's thread right after `key` of database `db` was evicted. Hook for the
// "evicted" keyspace notification and CDC (see the call site in memory_evict.cc).
void OnKeyEvicted(Service& svc, int shard, int db, std::string_view key);

}  // namespace kora
