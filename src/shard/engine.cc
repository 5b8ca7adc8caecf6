#include "shard/engine.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sched.h>

#include <algorithm>

#include "base/clock.h"

namespace kora {
namespace {
thread_local Worker* tl_worker = nullptr;
constexpr size_t kInboxCapacity = 4096;  // batches per (src, dst) pair
constexpr int64_t kPollSpinUs = 10;       // longest spin between two looks at the sockets

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace

Worker::Worker(Engine* engine, int id)
    : engine_(engine), id_(id), shard_(id), event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  loop_.Add(event_fd_, EPOLLIN, this);
}

Worker::~Worker() {
  for (auto* b : outboxes_) delete b;
  for (auto& in : inboxes_) {
    std::vector<Task>* b;
    while (in && in->TryPop(&b)) delete b;
  }
  close(event_fd_);
}

Worker* Worker::Current() { return tl_worker; }

void Worker::Send(int dest, Task t) {
  if (dest == id_) {
    local_tasks_.push_back(std::move(t));
    return;
  }
  outboxes_[dest]->push_back(std::move(t));
}

void Worker::PostExternal(Task t) {
  {
    std::lock_guard<std::mutex> lk(external_mu_);
    external_.push_back(std::move(t));
  }
  has_external_.store(true, std::memory_order_seq_cst);
  Wake();
}

void Worker::ScheduleBatchEnd(BatchListener* l) { batch_end_.push_back(l); }

void Worker::Wake() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst)) {
    sleeping_.store(false, std::memory_order_relaxed);
    uint64_t one = 1;
    ssize_t r = write(event_fd_, &one, sizeof(one));
    (void)r;
  }
}

void Worker::OnIo(uint32_t) {
  uint64_t v;
  ssize_t r = read(event_fd_, &v, sizeof(v));
  (void)r;
}

bool Worker::InboxesNonEmpty() const {
  for (const auto& in : inboxes_) {
    if (in && !in->Empty()) return true;
  }
  return has_external_.load(std::memory_order_seq_cst);
}

bool Worker::DrainInboxes() {
  bool work = false;
  if (!local_tasks_.empty()) {
    std::vector<Task> tasks;
    tasks.swap(local_tasks_);
    for (auto& t : tasks) t();
    work = true;
  }
  for (auto& in : inboxes_) {
    if (!in) continue;
    std::vector<Task>* batch;
    while (in->TryPop(&batch)) {
      for (auto& t : *batch) t();
      delete batch;
      work = true;
    }
  }
  if (has_external_.load(std::memory_order_acquire)) {
    // Swapped with a vector kept for the purpose, so both keep their capacity (no allocation
    // per posted task).
    {
      std::lock_guard<std::mutex> lk(external_mu_);
      external_running_.swap(external_);
      has_external_.store(false, std::memory_order_relaxed);
    }
    for (auto& t : external_running_) t();
    external_running_.clear();
    work = true;
  }
  return work;
}

void Worker::FlushOutboxes() {
  congested_ = false;
  for (int dest = 0; dest < static_cast<int>(outboxes_.size()); ++dest) {
    std::vector<Task>*& box = outboxes_[dest];
    if (box == nullptr || box->empty()) continue;
    Worker& w = engine_->worker(dest);
    if (w.inboxes_[id_]->TryPush(box)) {
      box = new std::vector<Task>();
      w.Wake();
    } else {
      congested_ = true;
    }
  }
}

void Worker::RunBatchEnd() {
  while (!batch_end_.empty()) {
    std::vector<BatchListener*> ls;
    ls.swap(batch_end_);
    for (auto* l : ls) l->OnBatchEnd();
  }
}

bool Worker::Pump() {
  bool work = DrainInboxes();
  work |= loop_.Poll(0) > 0;
  RunBatchEnd();
  FlushOutboxes();
  return work;
}

void Worker::Run() {
  tl_worker = this;
  const int64_t idle_poll_us = engine_->opts_.idle_poll_us;
  const bool poll_yield = engine_->opts_.idle_poll_yield;
  int64_t last_work_us = 0;
  while (!engine_->stop_.load(std::memory_order_acquire)) {
    bool work = DrainInboxes();
    if (!next_iteration_.empty()) {
      for (auto* l : next_iteration_) batch_end_.push_back(l);
      next_iteration_.clear();
    }
    int64_t now = MonotonicUs();
    loop_.RunDueTimers(now);
    RunBatchEnd();
    FlushOutboxes();
    int timeout = loop_.NextTimerMs(now);
    if (work || !local_tasks_.empty()) timeout = 0;
    if (!next_iteration_.empty() && timeout > 1) timeout = 1;
    if (congested_ && timeout > 1) timeout = 1;
    if (idle_poll_us > 0) {
      if (work) last_work_us = now;
      if (timeout != 0 && now - last_work_us < idle_poll_us) {
        // Keep polling: spin on the inboxes (no epoll_wait) for a little while, then
        // go round the loop (sockets and timers are checked there) instead of sleeping.
        timeout = 0;
        int64_t until = std::min(last_work_us + idle_poll_us, now + kPollSpinUs);
        for (int i = 1; !InboxesNonEmpty() && local_tasks_.empty() &&
                        !engine_->stop_.load(std::memory_order_relaxed);
             ++i) {
          if ((i & 15) == 0 && MonotonicUs() >= until) break;
          if (poll_yield) {
            sched_yield();  // leaves the core to any other runnable thread (e.g. the caller)
          } else {
            CpuRelax();
          }
        }
      }
    }
    if (timeout > 0) {
      sleeping_.store(true, std::memory_order_seq_cst);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (InboxesNonEmpty() || !local_tasks_.empty()) {
        sleeping_.store(false, std::memory_order_relaxed);
        timeout = 0;
      }
    }
    if (loop_.Poll(timeout) > 0 && idle_poll_us > 0) last_work_us = MonotonicUs();
    sleeping_.store(false, std::memory_order_relaxed);
    RunBatchEnd();
    FlushOutboxes();
  }
  // Deliver what is already queued so no peer waits on us forever.
  DrainInboxes();
  RunBatchEnd();
  FlushOutboxes();
  if (engine_->fini_) engine_->fini_(*this);
  tl_worker = nullptr;
}

Engine::Engine(const EngineOptions& opts) : opts_(opts) {
  int n = opts.workers < 1 ? 1 : opts.workers;
  opts_.workers = n;
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(this, i));
  for (auto& w : workers_) {
    w->inboxes_.resize(n);
    w->outboxes_.resize(n, nullptr);
    for (int src = 0; src < n; ++src) {
      if (src == w->id_) continue;
      w->inboxes_[src] = std::make_unique<SpscQueue<std::vector<Task>*>>(kInboxCapacity);
      w->outboxes_[src] = new std::vector<Task>();
    }
  }
  slot_to_shard_.resize(kSlotCount);
  for (uint32_t s = 0; s < kSlotCount; ++s) {
    slot_to_shard_[s] = static_cast<uint16_t>(static_cast<uint64_t>(s) * n / kSlotCount);
  }
  int hz = opts_.hz > 0 ? opts_.hz : 10;
  for (auto& w : workers_) {
    Worker* wp = w.get();
    int64_t interval_ms = 1000 / hz;
    wp->loop_.AddTimer(static_cast<int>(interval_ms),
                       [this, wp, interval_ms] {
                         wp->shard_.Cron(interval_ms * 1000 / 4,
                                         active_expire_.load(std::memory_order_relaxed));
                       });
  }
}

Engine::~Engine() { Stop(); }

void Engine::Start(std::function<void(Worker&)> init) {
  for (auto& w : workers_) {
    Worker* wp = w.get();
    threads_.emplace_back([wp, init] {
      if (init) {
        tl_worker = wp;
        init(*wp);
      }
      wp->Run();
    });
  }
}

void Engine::Stop(std::function<void(Worker&)> fini) {
  if (threads_.empty()) return;
  fini_ = std::move(fini);
  stop_.store(true, std::memory_order_seq_cst);
  for (auto& w : workers_) {
    uint64_t one = 1;
    ssize_t r = write(w->event_fd_, &one, sizeof(one));
    (void)r;
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace kora
