// An in-process connection that captures the reply of one command at a time: the commands
// EXEC runs (transaction.cc) and those a script's redis.call runs (script_runner.cc). A command
// replies inline into reply(), or reserves one slot that a hop to another shard fills later;
// complete() tells whether the current command's reply is all there.
#pragma once

#include <string>

#include "commands/conn_context.h"

namespace kora {

class CaptureConn : public ConnContext {
 public:
  // Starts the next command: forgets the previous reply.
  void Begin() {
    cur_.clear();
    reserved_ = filled_ = false;
  }
  bool complete() const { return !reserved_ || filled_; }
  std::string& reply() { return cur_; }

  ReplyBuilder& Reply() override {
    rb_.set_buffer(&cur_);
    rb_.set_resp(resp);
    return rb_;
  }
  uint64_t ReserveSlot() override {
    reserved_ = true;
    return 0;
  }
  void FillSlot(uint64_t, std::string bytes) override {
    cur_ += bytes;
    filled_ = true;
    OnFilled();
  }
  void SetBarrier(bool) override {}
  void Ref() override { ++refs_; }
  size_t QueryBufferBytes() const override { return 0; }
  size_t OutputBufferBytes() const override { return 0; }
  size_t PendingReplies() const override { return 0; }

 protected:
  // Called when a reserved slot has been filled (the reply arrived from another shard).
  virtual void OnFilled() {}

  int refs_ = 1;

 private:
  std::string cur_;
  ReplyBuilder rb_{&cur_, 2};
  bool reserved_ = false, filled_ = false;
};

}  // namespace kora
