// Blocking commands (BLPOP and friends): per-key FIFO wait queues on the owning shard.
//
// A blocked client holds one BlockTicket, shared by its home worker and every shard whose key
// it waits on. Whoever flips `claimed` first owns the outcome: a shard that has data for the
// client (it pops and sends the reply home), the home worker's timeout check, or the client's
// disconnect. Claiming and popping happen on the key's shard in one step, so an element is never
// lost and a client is never served twice. Waiters on a key are served first come, first served.
// A registration re-checks the key on its shard before queueing, so a push that raced with the
// blocking command's first attempt is not missed. See docs/design/blocking.md.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/conn_context.h"
#include "shard/shard.h"

namespace kora {

struct BlockTicket {
  // Written once before the ticket is shared; read-only afterwards.
  int home_worker = 0;
  ConnContext* conn = nullptr;  // dereferenced only on home_worker
  uint64_t slot = 0;
  int resp = 2;
  int db_index = 0;
  std::vector<std::string> keys;
  std::vector<int> shards;  // distinct shards the keys live on
  int64_t deadline_ms = 0;  // 0: forever
  enum TimeoutReply { kNullArray, kZero } timeout_reply = kNullArray;  // BLPOP: *-1; WAIT: :0
  // On the key's shard: true if `key` currently has something this waiter can take.
  std::function<bool(CmdCtx&, std::string_view key)> ready;
  // On the key's shard, during the first attempt only: an error that ends the command at once
  // (WRONGTYPE), or empty. Keys are checked in argument order.
  std::function<std::string(CmdCtx&, std::string_view key)> first_error;
  // Readiness differs from one waiter to the next (stream readers wait for entries past their
  // own IDs): a waiter that is not ready does not stop the serving of those queued after it.
  bool independent = false;
  // On the key's shard, after claiming: takes the data and writes the reply into `reply`.
  std::function<void(CmdCtx&, std::string_view key, std::string* reply)> serve;
  // When set (BLMOVE's destination), the reply goes home through this key's shard, after what
  // serve() sent there: the client sees its reply only once the element has landed.
  std::string relay_key;

  std::atomic<bool> claimed{false};
  std::atomic<int> refs{1};

  void Ref() { refs.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

// The wait queues of one shard. Touched only from its worker.
class BlockingRegistry {
 public:
  // Serves the ticket right away if one of its keys here is ready; otherwise queues it on
  // each of those keys. Returns true if it was served (or already claimed elsewhere).
  bool RegisterOrServe(CmdCtx& ctx, BlockTicket* t, bool first_attempt);
  // Drops the ticket from this shard's queues.
  void Remove(BlockTicket* t);
  // Called after data arrived at `key` (on this shard): serves waiters in FIFO order.
  void Serve(CmdCtx& ctx, std::string_view key);
  bool empty() const { return waiting_ == 0; }

 private:
  using Queue = std::deque<BlockTicket*>;
  absl::flat_hash_map<std::string, Queue> queues_[kNumDatabases];
  size_t waiting_ = 0;
  std::deque<std::pair<int, std::string>> ready_;  // keys with new data, served in order
  bool serving_ = false;
};

// Claims the ticket for `key` on this shard, serves it and sends the reply home. Returns false
// if another party had already claimed it.
bool ClaimAndServe(CmdCtx& ctx, BlockTicket* t, std::string_view key);

// Home-worker side: starts waiting (reserves the reply slot, raises the barrier, registers on
// every shard after the caller's first attempt failed) and tracks timeouts and disconnects.
void BlockClient(CmdCtx& ctx, BlockTicket* t);
// Periodic check on each worker: timeouts and disconnected blocked clients.
void CheckBlockedClients(Service* svc, int64_t now_ms);
// CLIENT UNBLOCK support: unblocks client `id` on this worker. Returns true if it was blocked.
bool UnblockClient(Service* svc, uint64_t id, bool with_error);

// Parses a blocking timeout in seconds (Redis's rules and texts). On success *deadline_ms is an
// absolute deadline or 0 for "forever".
bool ParseBlockTimeout(std::string_view arg, int64_t now_ms, int64_t* deadline_ms,
                       std::string* error);

}  // namespace kora
