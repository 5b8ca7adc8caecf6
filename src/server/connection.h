// One client connection: socket I/O, request parsing, and in-order reply assembly.
//
// Lives on the worker that accepted it, for its whole life. Replies of commands that ran
// inline are appended straight to the output buffer while no earlier reply is outstanding;
// otherwise every command gets a slot in `slots_`, filled when its hop returns, and slots
// leave in request order. A reference count keeps the object alive while hops are in flight.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "commands/conn_context.h"
#include "commands/service.h"
#include "protocol/request_parser.h"
#include "server/input_buffer.h"
#include "shard/engine.h"

namespace kora {

class Connection final : public ConnContext, private IoHandler, private BatchListener {
 public:
  Connection(Service* svc, Worker* worker, int fd, std::string peer, std::string local,
             bool unix_socket);

  // Registers with the loop and the service. After this the object manages its own life.
  void Start();

  ReplyBuilder& Reply() override;
  uint64_t ReserveSlot() override;
  void FillSlot(uint64_t slot, std::string bytes) override;
  void SetBarrier(bool on) override;
  void Ref() override { ++refs_; }
  void Unref() override;
  void CloseAfterReply() override;
  void Kill() override;
  void PushMessage(std::string_view frame) override;
  size_t QueryBufferBytes() const override { return in_.size() - in_start_; }
  size_t OutputBufferBytes() const override { return out_.size() - out_off_; }
  size_t PendingReplies() const override { return slots_.size(); }
  size_t QueryBufferCapacity() const override { return in_.capacity(); }
  size_t OutputBufferCapacity() const override { return out_.capacity(); }

 private:
  ~Connection() override;
  struct Slot {
    bool ready = false;
    bool discard = false;  // CLIENT REPLY OFF/SKIP: the reply is dropped when it arrives
    std::string data;
    std::string prefix;  // pushes raised by the command, written before its reply
  };

  void OnIo(uint32_t events) override;
  void OnBatchEnd() override;
  void ReadInput();
  void ProcessInput();
  void DrainSlots();
  void Flush();
  void ScheduleFlush();
  void UpdateInterest(bool want_write);
  // Pub/sub pushes raised by this connection's own command go before its reply (as Redis).
  void PlacePushes(size_t out_mark, uint64_t slot_mark);
  void CheckOutputLimit();

  Service* svc_;
  Worker* worker_;
  InputBuffer in_;
  size_t in_start_ = 0;
  std::string out_;
  size_t out_off_ = 0;
  std::deque<Slot> slots_;
  uint64_t slot_base_ = 0;
  RequestParser parser_;
  ParserLimits limits_;
  std::vector<std::string_view> args_;
  // One parsed command of the current batch (views into in_).
  struct Parsed {
    std::vector<std::string_view> args;
    size_t end = 0;  // offset in in_ just past this command
    const CommandSpec* spec = nullptr;
    int key_shard = -1;  // the first key's shard once Prefetch hashed it
    bool error = false;
  };
  static constexpr size_t kBatch = 32;
  Parsed batch_[kBatch];
  ReplyBuilder rb_;
  std::string discard_;  // where replies go while CLIENT REPLY suppresses them
  int refs_ = 1;  // the loop's own reference, dropped on close
  bool barrier_ = false;
  bool processing_ = false;
  bool close_after_reply_ = false;
  bool dead_ = false;
  bool flush_scheduled_ = false;
  bool want_write_ = false;
  bool paused_ = false;  // back-pressure: input left unparsed until the outboxes drain
  // Pushes raised while this connection's command runs (placed by PlacePushes).
  std::string pending_push_;
  bool obuf_kill_ = false;          // over client-output-buffer-limit: close, do not flush
  int64_t obuf_soft_since_s_ = 0;   // when the soft limit was first exceeded (Unix seconds)
};

}  // namespace kora
