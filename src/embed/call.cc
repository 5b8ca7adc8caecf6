#include "embed/call.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"

namespace kora::embed {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

long Futex(std::atomic<uint32_t>* addr, int op, uint32_t val) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), op, val, nullptr, nullptr, 0);
}

}  // namespace

ReplyBuilder& CallConn::Reply() {
  rb_.set_resp(resp);  // HELLO 2 may switch this call to RESP2
  if (slots_.empty()) {
    rb_.set_buffer(out_);
  } else {
    slots_.push_back(Slot{true, {}});
    rb_.set_buffer(&slots_.back().data);
  }
  return rb_;
}

uint64_t CallConn::ReserveSlot() {
  slots_.push_back(Slot{});
  return slots_.size() - 1;
}

void CallConn::FillSlot(uint64_t slot, std::string bytes) {
  Slot& s = slots_[slot];
  s.data = std::move(bytes);
  s.ready = true;
}

void CallConn::Unref() {
  if (--refs_ == 0) Complete();
}

void CallConn::Complete() {
  for (auto& s : slots_) out_->append(s.data);
  // Nothing of this object is touched after the exchange: the caller may be gone. The futex
  // word is only an address to the kernel then (a wake-up on it is harmless).
  if (state_.exchange(2, std::memory_order_acq_rel) == 1) {
    Futex(&state_, FUTEX_WAKE_PRIVATE, 1);
  }
}

void CallConn::Wait(int64_t spin_us) {
  // Spin first: a command on an awake shard completes within microseconds, and a futex sleep
  // plus wake-up costs more than that. Then sleep, leaving the CPU to the shard threads.
  int64_t deadline = 0;
  for (int i = 1;; ++i) {
    if (state_.load(std::memory_order_acquire) == 2) return;
    CpuRelax();
    if ((i & 31) == 0) {
      int64_t now = MonotonicUs();
      if (deadline == 0) {
        deadline = now + spin_us;
      } else if (now >= deadline) {
        break;
      }
    }
  }
  uint32_t expected = 0;
  if (!state_.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) return;  // done
  while (state_.load(std::memory_order_acquire) != 2) {
    Futex(&state_, FUTEX_WAIT_PRIVATE, 1);
  }
}

}  // namespace kora::embed
