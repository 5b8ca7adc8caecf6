#include "server/connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/clock.h"
#include "base/logging.h"
#include "commands/pubsub_hub.h"
#include "commands/tracking_family.h"

namespace kora {
namespace {
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kBigArg = 32 * 1024;  // PROTO_MBULK_BIG_ARG
}  // namespace

Connection::Connection(Service* svc, Worker* worker, int fd, std::string peer, std::string local,
                       bool unix_socket)
    : svc_(svc), worker_(worker), rb_(&out_, 2) {
  this->fd = fd;
  this->id = svc->NextClientId();
  this->home_worker = worker->id();
  this->addr = std::move(peer);
  this->laddr = std::move(local);
  this->unix_socket = unix_socket;
  this->created_ms = NowUnixMs();
  this->last_interaction_ms = created_ms;
  this->authenticated = !svc->RequiresAuth();
  limits_.max_bulk_len = svc->config().IntValue("proto-max-bulk-len");
}

Connection::~Connection() = default;

void Connection::Start() {
  worker_->loop().Add(fd, EPOLLIN, this);
  svc_->AddConnection(this);
}

ReplyBuilder& Connection::Reply() {
  rb_.set_resp(resp);
  if (ReplySuppressed()) {
    discard_.clear();
    rb_.set_buffer(&discard_);
  } else if (slots_.empty()) {
    rb_.set_buffer(&out_);
  } else {
    slots_.push_back(Slot{true, {}});
    rb_.set_buffer(&slots_.back().data);
  }
  return rb_;
}

uint64_t Connection::ReserveSlot() {
  slots_.push_back(Slot{});
  slots_.back().discard = ReplySuppressed();
  return slot_base_ + slots_.size() - 1;
}

void Connection::FillSlot(uint64_t slot, std::string bytes) {
  Slot& s = slots_[slot - slot_base_];
  if (!s.discard) s.data = std::move(bytes);
  if (!s.prefix.empty()) s.data.insert(0, s.prefix);
  s.ready = true;
  DrainSlots();
  if (!processing_) ScheduleFlush();
}

void Connection::DrainSlots() {
  while (!slots_.empty() && slots_.front().ready) {
    out_.append(slots_.front().data);
    slots_.pop_front();
    ++slot_base_;
  }
}

void Connection::SetBarrier(bool on) {
  barrier_ = on;
  // Resume parsing what arrived meanwhile, outside of any handler.
  if (!on && !processing_) ScheduleFlush();
}

void Connection::Unref() {
  if (--refs_ == 0) delete this;
}

void Connection::CloseAfterReply() { close_after_reply_ = true; }

void Connection::Kill() {
  if (dead_) return;
  dead_ = true;
  closing = true;
  worker_->loop().Remove(fd);
  ::close(fd);
  if (subscriptions + psubscriptions + ssubscriptions > 0) svc_->pubsub().RemoveAll(this);
  TrackingOnClose(*svc_, *this);
  svc_->RemoveConnection(this);
  Unref();  // the loop's reference
}

void Connection::ScheduleFlush() {
  if (flush_scheduled_ || dead_) return;
  flush_scheduled_ = true;
  Ref();
  worker_->ScheduleBatchEnd(this);
}

void Connection::OnBatchEnd() {
  flush_scheduled_ = false;
  if (!dead_) {
    if (paused_ || (!barrier_ && in_start_ < in_.size())) ProcessInput();
    if (!dead_) Flush();
  }
  Unref();
}

void Connection::OnIo(uint32_t events) {
  Ref();
  if (events & (EPOLLERR | EPOLLHUP)) {
    if (!(events & EPOLLIN)) {
      Kill();
      Unref();
      return;
    }
  }
  if (events & EPOLLIN) ReadInput();
  if (!dead_ && (events & EPOLLOUT)) Flush();
  Unref();
}

void Connection::ReadInput() {
  size_t want = kReadChunk;
  int64_t pending = parser_.pending_bulk();
  if (pending >= static_cast<int64_t>(kBigArg)) {
    size_t have = in_.size() - in_start_;
    // Read a large bulk in big steps, but never reserve more than has been proven to arrive.
    want = std::max<size_t>(kReadChunk, std::min<size_t>(static_cast<size_t>(pending), have + (1 << 20)));
  }
  char* dst = in_.PrepareWrite(want);
  ssize_t n = ::read(fd, dst, want);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Kill();
    return;
  }
  in_.Commit(static_cast<size_t>(n));
  svc_->local().net_input_bytes += static_cast<uint64_t>(n);
  last_interaction_ms = NowUnixMs();
  thread_local CachedIntParam query_buffer_limit("client-query-buffer-limit");
  int64_t qlimit = query_buffer_limit.Get(svc_->config());
  if (qlimit > 0 && static_cast<int64_t>(in_.size() - in_start_) > qlimit) {
    KORA_LOG_WARN("closing client {} that reached max query buffer length", addr);
    Kill();
    return;
  }
  ProcessInput();
  if (!dead_) Flush();
}

void Connection::ProcessInput() {
  processing_ = true;
  paused_ = false;
  limits_.authenticated = authenticated;
  while (!dead_ && !barrier_ && !close_after_reply_ && in_start_ < in_.size()) {
    if (worker_->Congested()) {
      paused_ = true;
      Ref();
      worker_->ScheduleNextIteration(this);
      flush_scheduled_ = true;
      break;
    }
    // Parse a batch of pipelined commands first, so the memory loads of their keys can be
    // started together (Service::Prefetch), then run them in order. Inline commands and
    // unauthenticated clients are handled one at a time (their parse depends on state).
    size_t n = 0;
    size_t pos = in_start_;
    bool stop = false;
    while (n < kBatch && pos < in_.size()) {
      size_t consumed = 0;
      std::string_view buf(in_.data() + pos, in_.size() - pos);
      bool inline_cmd = buf[0] != '*';
      if (n > 0 && (inline_cmd || !authenticated)) break;
      auto& slot = batch_[n];
      auto st = parser_.Parse(buf, limits_, &consumed, &slot.args);
      if (st == RequestParser::State::kNeedMore) {
        stop = true;
        break;
      }
      if (st == RequestParser::State::kError) {
        slot.error = true;
        slot.end = in_.size();
        ++n;
        stop = true;
        break;
      }
      pos += consumed;
      if (st == RequestParser::State::kEmpty) {
        if (n == 0) in_start_ = pos;
        continue;
      }
      slot.error = false;
      slot.end = pos;
      slot.spec = nullptr;
      slot.key_shard = -1;
      ++n;
      if (inline_cmd || !authenticated) break;
    }
    if (n == 0) break;
    if (n > 1) {
      for (int stage = 0; stage < 2; ++stage) {
        for (size_t i = 0; i < n && !batch_[i].error; ++i) {
          auto& c = batch_[i];
          c.spec = svc_->Prefetch(*this, CmdArgs(c.args.data(), c.args.size()), stage, c.spec,
                                  &c.key_shard);
        }
      }
    }
    size_t done = 0;
    for (size_t i = 0; i < n; ++i, done = i) {
      auto& c = batch_[i];
      if (c.error) {
        Reply().Error("ERR " + parser_.error());
        close_after_reply_ = true;
        in_start_ = in_.size();
        break;
      }
      in_start_ = c.end;
      if (i == 0 || c.spec == nullptr || !(c.spec->flags & kCmdFast) ||
          !(batch_[i - 1].spec && (batch_[i - 1].spec->flags & kCmdFast))) {
        batch_now_ms = NowUnixMs();
      }
      size_t out_mark = out_.size();
      uint64_t slot_mark = slot_base_ + slots_.size();
      svc_->Dispatch(*this, CmdArgs(c.args.data(), c.args.size()), c.spec, c.key_shard);
      if (!pending_push_.empty()) PlacePushes(out_mark, slot_mark);
      reply_skip = reply_skip_next;  // CLIENT REPLY SKIP drops the next command's reply
      reply_skip_next = false;
      limits_.authenticated = authenticated;
      // A barrier, QUIT, a kill or back-pressure stops the batch; the rest is parsed again.
      if (dead_ || barrier_ || close_after_reply_ || worker_->Congested()) {
        done = i + 1;
        break;
      }
    }
    batch_now_ms = 0;
    // Commands parsed but not run are parsed again later; a partial command's parse state
    // is only valid relative to where it starts, so drop it unless everything before it ran.
    if (done < n || in_start_ != pos) parser_.Reset();
    if (stop && !barrier_ && !dead_) {
      if (in_start_ < in_.size() && !close_after_reply_) continue;
      break;
    }
  }
  if (in_start_ == in_.size()) {
    in_.clear();
    in_start_ = 0;
  } else if (in_start_ > 0 && (in_start_ > 64 * 1024 || in_start_ * 2 > in_.size())) {
    in_.ConsumeFront(in_start_);
    in_start_ = 0;
  }
  processing_ = false;
  if (!pending_push_.empty()) {
    std::string p = std::move(pending_push_);
    pending_push_.clear();
    PushMessage(p);
  }
}

void Connection::PushMessage(std::string_view frame) {
  if (dead_ || obuf_kill_) return;
  if (processing_) {
    pending_push_.append(frame);
  } else {
    // After every reply already produced here, before the replies still travelling back from
    // other shards (one of those commands may be what raised this push: Redis sends it first).
    size_t r = slots_.size();
    while (r > 0 && !slots_[r - 1].ready) --r;
    if (r == 0) {
      out_.append(frame);
    } else {
      slots_[r - 1].data.append(frame);
    }
  }
  CheckOutputLimit();
  if (!processing_) ScheduleFlush();
}

void Connection::PlacePushes(size_t out_mark, uint64_t slot_mark) {
  std::string p = std::move(pending_push_);
  pending_push_.clear();
  if (slot_mark >= slot_base_ && slot_mark - slot_base_ < slots_.size()) {
    Slot& s = slots_[slot_mark - slot_base_];  // the command's reply went to a slot
    if (s.ready) {
      s.data.insert(0, p);
    } else {
      s.prefix = std::move(p);
    }
  } else if (out_mark >= out_off_ && out_mark <= out_.size()) {
    out_.insert(out_mark, p);
  } else {
    out_.append(p);
  }
}

// Redis's checkClientOutputBufferLimits: over the hard limit, or over the soft limit for
// longer than its seconds, the client is closed without flushing.
void Connection::CheckOutputLimit() {
  int cls = subscriptions + psubscriptions + ssubscriptions > 0 ? 2 : 0;
  const OutputLimit& lim = svc_->pubsub().Limit(worker_->id(), cls);
  if (lim.hard == 0 && lim.soft == 0) return;
  int64_t used = static_cast<int64_t>(OutputBufferBytes() + pending_push_.size());
  for (const auto& s : slots_) used += static_cast<int64_t>(s.data.size());
  bool hard = lim.hard > 0 && used >= lim.hard;
  bool soft = lim.soft > 0 && used >= lim.soft;
  if (soft) {
    int64_t now_s = NowUnixMs() / 1000;
    if (obuf_soft_since_s_ == 0) {
      obuf_soft_since_s_ = now_s;
      soft = false;
    } else if (now_s - obuf_soft_since_s_ <= lim.soft_seconds) {
      soft = false;
    }
  } else {
    obuf_soft_since_s_ = 0;
  }
  if (!hard && !soft) return;
  KORA_LOG_WARN("Client id={} addr={} scheduled to be closed ASAP for overcoming of output "
                "buffer limits.", id, addr);
  obuf_kill_ = true;
  closing = true;
  ScheduleFlush();
}

void Connection::Flush() {
  if (obuf_kill_) {
    Kill();
    return;
  }
  DrainSlots();
  while (out_off_ < out_.size()) {
    ssize_t n = ::send(fd, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        UpdateInterest(true);
        return;
      }
      Kill();
      return;
    }
    svc_->local().net_output_bytes += static_cast<uint64_t>(n);
    out_off_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_off_ = 0;
  if (out_.capacity() > 1 << 20) out_.shrink_to_fit();
  UpdateInterest(false);
  if (close_after_reply_ && slots_.empty()) Kill();
}

void Connection::UpdateInterest(bool want_write) {
  if (want_write == want_write_ || dead_) return;
  want_write_ = want_write;
  worker_->loop().Modify(fd, want_write ? (EPOLLIN | EPOLLOUT) : EPOLLIN, this);
}

}  // namespace kora
