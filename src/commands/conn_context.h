// The command layer's view of one client connection.
//
// Implemented by the server's Connection. Lives on its home worker's thread; only code running
// there may touch it. Hops hold a reference (Ref/Unref) so a connection closed while replies
// are in flight is destroyed only after the last one returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"

namespace kora {

class ConnContext {
 public:
  virtual ~ConnContext() = default;

  // Builder positioned at the reply of the command being dispatched now (in request order).
  virtual ReplyBuilder& Reply() = 0;
  // Reserves the reply position of the command being dispatched now, to be filled later.
  virtual uint64_t ReserveSlot() = 0;
  // Fills a reserved position; replies are written out in request order.
  virtual void FillSlot(uint64_t slot, std::string bytes) = 0;
  // While set, no further command of this connection is dispatched (multi-phase commands).
  virtual void SetBarrier(bool on) = 0;
  virtual void Ref() = 0;
  virtual void Unref() = 0;
  // Close once every reply queued so far is written (QUIT, protocol errors).
  virtual void CloseAfterReply() = 0;
  // Close now (CLIENT KILL).
  virtual void Kill() = 0;
  // Appends an out-of-band frame (pub/sub message, RESP3 push) after the replies produced so
  // far; enforces the client-output-buffer-limit. On the home worker.
  virtual void PushMessage(std::string_view frame) { (void)frame; }
  // CLIENT LIST numbers.
  virtual size_t QueryBufferBytes() const = 0;
  virtual size_t OutputBufferBytes() const = 0;
  virtual size_t PendingReplies() const = 0;
  // Allocated sizes of the query and output buffers (CLIENT LIST qbuf-free, rbs, tot-mem).
  virtual size_t QueryBufferCapacity() const { return QueryBufferBytes(); }
  virtual size_t OutputBufferCapacity() const { return OutputBufferBytes(); }

  uint64_t id = 0;
  int home_worker = 0;
  // Bytes the hops of this connection now in flight allocated on its home worker (tasks,
  // queue room, reply slots): in transit for maxmemory until their replies land (service.cc).
  int64_t hop_transit = 0;
  uint32_t hops_in_flight = 0;
  int fd = -1;
  int db_index = 0;
  int resp = 2;
  bool authenticated = true;
  bool closing = false;
  bool unix_socket = false;
  std::string name;
  std::string lib_name, lib_ver;
  std::string addr, laddr;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  std::string last_cmd = "NULL";
  // CLIENT REPLY: replies are dropped while reply_off, or for the one command after SKIP
  // (reply_skip_next becomes reply_skip when the SKIP command completes).
  bool reply_off = false;
  bool reply_skip = false;
  bool reply_skip_next = false;
  bool no_evict = false;  // CLIENT NO-EVICT
  // Whether used memory stayed over maxmemory after the evictions made before the current
  // command (Redis's pre_command_oom_state); set by MemoryGuard::Admit, read by scripts.
  bool oom_before_command = false;
  // Shown by CLIENT LIST; kept by the pub/sub and transaction code.
  int subscriptions = 0, psubscriptions = 0, ssubscriptions = 0;
  int multi_queued = -1;  // -1: not in MULTI
  // MULTI state (commands/transaction.cc): the queued commands, and whether one of them was
  // rejected (EXEC then answers EXECABORT).
  std::vector<std::vector<std::string>> multi_cmds;
  bool multi_error = false;
  // Set on the in-process connection EXEC runs its commands through: the transaction's id
  // (lets its work into the shards it locked), and "blocking commands do not block".
  uint64_t tx_id = 0;
  bool deny_blocking = false;
  bool is_script = false;  // a script's in-process connection (its calls are not tracked)
  // WATCHed keys with what they looked like then (present, entry version).
  struct WatchedKey {
    int db;
    std::string key;
    bool present;
    uint32_t version;
  };
  std::vector<WatchedKey> watched;

  bool ReplySuppressed() const { return reply_off || reply_skip; }
};

}  // namespace kora
