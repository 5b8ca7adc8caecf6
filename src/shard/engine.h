// The engine: N worker threads, each owning one Shard, one EventLoop and its inboxes.
//
// Workers talk only through messages. Worker::Send(dest, task) (called on a worker thread)
// appends to a per-destination outbox; at the end of each event batch the outboxes are pushed
// as one batch per destination into a bounded single-producer/single-consumer ring, and the
// destination is woken through its eventfd only if it is about to sleep (coalesced wake-ups).
// A full ring leaves the batch in the outbox (back-pressure: Congested() tells connections to
// stop reading); nothing is dropped. Threads that are not workers (embedding API, tests) use
// Worker::PostExternal, a mutex-guarded queue. See docs/design/threads-and-hops.md.
#pragma once

#include <absl/functional/any_invocable.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "base/hash_slot.h"
#include "shard/event_loop.h"
#include "shard/shard.h"
#include "shard/spsc_queue.h"

namespace kora {

class Engine;

using Task = absl::AnyInvocable<void()>;

// Something to run once at the end of the current event batch (e.g. flush a socket).
class BatchListener {
 public:
  virtual ~BatchListener() = default;
  virtual void OnBatchEnd() = 0;
};

class Worker : private IoHandler {
 public:
  Worker(Engine* engine, int id);
  ~Worker() override;

  int id() const { return id_; }
  Engine& engine() { return *engine_; }
  Shard& shard() { return shard_; }
  EventLoop& loop() { return loop_; }

  // The worker running the calling thread, or nullptr.
  static Worker* Current();

  // On this worker's thread: queues `t` to run on worker `dest` (may be this one).
  void Send(int dest, Task t);
  // From any thread: runs `t` on this worker soon.
  void PostExternal(Task t);
  // True while some outbox could not be delivered; connections should pause reading.
  bool Congested() const { return congested_; }
  // Calls l->OnBatchEnd() once after the current batch of events and messages.
  void ScheduleBatchEnd(BatchListener* l);
  // Calls l->OnBatchEnd() at the end of the next loop iteration (retry after back-pressure).
  void ScheduleNextIteration(BatchListener* l) { next_iteration_.push_back(l); }

  // On this worker's thread, from batch-end work only (BatchListener): runs queued tasks, I/O
  // events and batch-end work once, for code that must wait for other shards without
  // returning to the loop (a running Lua script). Returns whether anything ran.
  bool Pump();
  void Run();     // the thread body
  void Wake();

 private:
  friend class Engine;
  void OnIo(uint32_t events) override;  // the eventfd
  bool DrainInboxes();
  void FlushOutboxes();
  void RunBatchEnd();
  bool InboxesNonEmpty() const;

  Engine* engine_;
  int id_;
  Shard shard_;
  EventLoop loop_;
  int event_fd_;
  std::atomic<bool> sleeping_{false};
  // inboxes_[src] is written by worker src only.
  std::vector<std::unique_ptr<SpscQueue<std::vector<Task>*>>> inboxes_;
  std::vector<std::vector<Task>*> outboxes_;  // by destination
  bool congested_ = false;
  std::vector<Task> local_tasks_;  // Send() to self
  std::mutex external_mu_;
  std::vector<Task> external_;  // GUARDED_BY(external_mu_)
  std::vector<Task> external_running_;  // this thread only: the batch being run
  std::atomic<bool> has_external_{false};
  std::vector<BatchListener*> batch_end_;
  std::vector<BatchListener*> next_iteration_;
};

struct EngineOptions {
  int workers = 1;
  int hz = 10;  // background cycles per second (active expiry)
  // After doing work, a worker keeps polling (no sleep in epoll_wait) for this long, so a
  // thread that posts calls back to back (the embedding API) is served without a wake-up.
  int idle_poll_us = 0;
  // Poll with sched_yield() instead of a pause loop: for when threads outnumber cores.
  bool idle_poll_yield = false;
};

class Engine {
 public:
  // The background expiry cycle on every shard (DEBUG SET-ACTIVE-EXPIRE); keys still expire
  // when accessed.
  void set_active_expire(bool on) { active_expire_.store(on, std::memory_order_relaxed); }

  explicit Engine(const EngineOptions& opts);
  ~Engine();

  int size() const { return static_cast<int>(workers_.size()); }
  Worker& worker(int i) { return *workers_[i]; }
  const EngineOptions& options() const { return opts_; }

  // The shard that owns `key` (Redis Cluster slot, then slot -> shard).
  int ShardOf(std::string_view key) const {
    return workers_.size() == 1 ? 0 : slot_to_shard_[KeySlot(key)];
  }
  int ShardOfSlot(uint32_t slot) const { return slot_to_shard_[slot]; }

  // Starts the threads; `init` runs first on each worker's own thread.
  void Start(std::function<void(Worker&)> init);
  // Asks every worker to stop and joins them. `fini` runs last on each worker's thread.
  void Stop(std::function<void(Worker&)> fini = nullptr);
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }

 private:
  friend class Worker;
  EngineOptions opts_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<uint16_t> slot_to_shard_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> active_expire_{true};
  std::function<void(Worker&)> fini_;
};

}  // namespace kora
