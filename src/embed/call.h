// One API call in flight: the in-process connection a command from an application thread runs
// through, and the hand-off back to that thread.
//
// Flow: the application thread builds a Call on its own stack, posts it to the chosen worker
// (Worker::PostExternal) and blocks in Wait(). On the worker, Run() dispatches the command
// exactly like a client's (Service::Dispatch): it may reply inline, hop to other shards,
// coordinate several shards, block (BLPOP) or be held by CLIENT PAUSE. Everything that keeps
// the command going holds a reference (Ref/Unref); when the last one is dropped, every reply
// byte is in place and the caller is released. After that release no thread touches the Call
// again, so it can live on the caller's stack. Replies are RESP3 (conn.resp = 3).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <deque>

#include "commands/conn_context.h"
#include "commands/service.h"

namespace kora::embed {

class CallConn final : public ConnContext {
 public:
  // `out` receives the reply bytes; it belongs to the caller, who waits until Done.
  explicit CallConn(std::string* out) : out_(out), rb_(out, 3) { resp = 3; }

  ReplyBuilder& Reply() override;
  uint64_t ReserveSlot() override;
  void FillSlot(uint64_t slot, std::string bytes) override;
  void SetBarrier(bool) override {}  // one command per connection: nothing to hold back
  void Ref() override { ++refs_; }
  void Unref() override;
  void CloseAfterReply() override {}
  void Kill() override { closing = true; }
  size_t QueryBufferBytes() const override { return 0; }
  size_t OutputBufferBytes() const override { return out_->size(); }
  size_t PendingReplies() const override { return slots_.size(); }

  // Caller side: blocks until the command completed: spins up to `spin_us`, then sleeps on a
  // futex.
  void Wait(int64_t spin_us);

 private:
  struct Slot {
    bool ready = false;
    std::string data;
  };
  void Complete();  // worker side, when the last reference goes

  std::string* out_;
  ReplyBuilder rb_;
  std::deque<Slot> slots_;  // replies reserved by hops, in order after *out_ (stable refs)
  int refs_ = 1;             // the dispatching task's own reference
  // 0 running, 1 the caller sleeps on the futex, 2 done.
  std::atomic<uint32_t> state_{0};
};

// A command ready to run on a worker.
struct Call {
  Call(Service* s, const CommandSpec* sp, CmdArgs a, std::string* out)
      : svc(s), spec(sp), args(a), conn(out) {}
  // Worker side: dispatches and drops the task's reference.
  void Run() {
    svc->Dispatch(conn, args, spec);
    conn.Unref();
  }

  Service* svc;
  const CommandSpec* spec;  // may be null: Dispatch looks it up (and answers unknown ones)
  CmdArgs args;             // the caller's memory; Dispatch copies what outlives it
  CallConn conn;
};

}  // namespace kora::embed
