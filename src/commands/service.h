// The command service: the command table, dispatch, and the hop helpers handlers use.
//
// Dispatch runs on the connection's worker. A command whose keys all belong to that worker's
// shard runs inline; one whose keys all belong to one other shard hops there and its reply
// comes back into the connection's reserved reply slot; one whose keys span shards runs its
// coordinator (CommandSpec::multi), which uses RunOnShards. Connection-form commands (kCmdConn)
// run inline with the ConnContext. See docs/design/threads-and-hops.md.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/functional/any_invocable.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "commands/blocking.h"
#include "commands/command.h"
#include "commands/config.h"
#include "commands/conn_context.h"

namespace kora {

class PubSubHub;
class Tracker;

struct ServiceOptions {
  std::string bind = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;
  std::string requirepass;
  int64_t maxclients = 10000;
  std::string config_file;
  std::string executable;
};

// Per-command counters, owned by one worker.
struct CmdStat {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected = 0;
  uint64_t failed = 0;
};

// A rate sampled every 100 ms over the last 16 samples (Redis's instantaneous_* metrics).
struct RateSampler {
  static constexpr int kSamples = 16;
  int64_t last_ms = 0;
  uint64_t last_value = 0;
  uint64_t samples[kSamples] = {};
  int index = 0;
  void Sample(int64_t now_ms, uint64_t value);
  uint64_t PerSecond() const;  // mean of the samples
};

// A command held back by CLIENT PAUSE, re-dispatched when the pause ends.
struct ParkedCommand {
  ConnContext* conn;  // holds a Ref()
  std::vector<std::string> args;
};

// Statistics and registries owned by one worker (summed on read).
struct WorkerState {
  absl::flat_hash_map<uint64_t, ConnContext*> conns;
  std::vector<CmdStat> cmd_stats;
  uint64_t total_connections = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_commands = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t unexpected_error_replies = 0;
  // Error replies by code ("ERR", "WRONGTYPE"...), for INFO errorstats.
  absl::flat_hash_map<std::string, uint64_t> error_stats;
  uint64_t total_error_replies = 0;
  uint64_t blocked_clients = 0;    // clients waiting in a blocking command (kept by them)
  uint64_t evicted_keys = 0;       // kept by the eviction code
  uint64_t expired_keys_base = 0;  // Shard::expired_keys() at the last CONFIG RESETSTAT
  RateSampler ops_rate, net_in_rate, net_out_rate;
  std::vector<ParkedCommand> parked;  // commands held by CLIENT PAUSE
  // Blocking commands: this shard's wait queues, and this worker's blocked clients.
  std::unique_ptr<BlockingRegistry> blocking = std::make_unique<BlockingRegistry>();
  std::vector<BlockTicket*> blocked;
  // Cross-shard transactions: the EXEC that holds this shard (0: none) and the work that
  // arrived for it meanwhile, run in order when it is released (commands/transaction.cc).
  uint64_t tx_lock = 0;
  std::deque<absl::AnyInvocable<void()>> deferred;
};

// CLIENT PAUSE modes, ordered by strictness.
enum class PauseMode : int { kNone = 0, kWrite = 1, kAll = 2 };

// A reply that will be produced later (coordinators). Holds the connection's reply slot, a
// reference to the connection and optionally a dispatch barrier. Finish() exactly once, on the
// connection's worker.
class PendingReply {
 public:
  PendingReply(ConnContext* conn, bool barrier);
  void Finish(const std::function<void(ReplyBuilder&)>& write);

 private:
  ConnContext* conn_;
  uint64_t slot_;
  bool barrier_;
};

class MemoryGuard;

class Service {
 public:
  Service(Engine* engine, ServiceOptions opts);
  ~Service();

  Engine& engine() { return *engine_; }
  const ServiceOptions& options() const { return opts_; }
  ConfigStore& config() { return config_; }
  int64_t start_time_ms() const { return start_ms_; }

  void Register(std::vector<CommandSpec> family);
  // Case-insensitive lookup of a top-level command.
  const CommandSpec* Find(std::string_view name) const;
  const std::vector<std::unique_ptr<CommandSpec>>& commands() const { return commands_; }
  // Every spec including subcommands, indexed by CommandSpec::id.
  const std::vector<const CommandSpec*>& all_specs() const { return all_specs_; }

  // Runs one command for `conn` (on conn's worker thread). `spec` may carry the result of an
  // earlier Find(args[0]) (see Prefetch).
  // `key_shard` may carry the shard of the first key as Prefetch computed it (-1: unknown).
  void Dispatch(ConnContext& conn, CmdArgs args, const CommandSpec* spec = nullptr,
                int key_shard = -1);
  // For batched pipelines: looks the command up and, when its key lives on this worker's shard,
  // asks the CPU to start loading the key's hash bucket (stage 1) or first node (stage 2), so
  // the lookups of a batch overlap instead of waiting on memory one after another. `key_shard`
  // (-1 on the first call) receives the first key's shard, so it is hashed once.
  const CommandSpec* Prefetch(ConnContext& conn, CmdArgs args, int stage,
                              const CommandSpec* spec, int* key_shard);

  // Connection registry and per-worker statistics (call on that worker's thread).
  WorkerState& local();
  WorkerState& state_of(int worker) { return *workers_[worker]; }
  void AddConnection(ConnContext* c);
  void RemoveConnection(ConnContext* c);
  uint64_t NextClientId() { return next_client_id_.fetch_add(1) + 1; }
  std::atomic<int64_t>& connected_clients() { return connected_clients_; }

  // Runs fn on each listed shard (inline for the caller's own shard, right away), then `then`
  // with the results in the same order, on the caller's worker. fn is copied to every shard
  // and must capture only values.
  template <class R>
  void RunOnShards(CmdCtx& ctx, const std::vector<int>& shards, std::function<R(CmdCtx&)> fn,
                   absl::AnyInvocable<void(std::vector<R>&)> then);
  // All shards.
  std::vector<int> AllShards() const;

  // Runs fn now on the current worker, unless its shard is locked by another transaction than
  // `tx`; then fn waits until the lock is released (in arrival order).
  void RunData(uint64_t tx, absl::AnyInvocable<void()> fn);
  uint64_t NextTxId() { return next_tx_id_.fetch_add(1) + 1; }

  // Password check used by AUTH and HELLO.
  bool CheckPassword(std::string_view user, std::string_view pass);
  bool RequiresAuth();

  std::atomic<bool>& shutdown_requested() { return shutdown_; }
  std::function<void()> on_shutdown;  // set by the server

  // CLIENT PAUSE: holds matching commands of every client until `end_ms` (Unix ms); a pause
  // already in force is only extended or made stricter. Any thread.
  void Pause(int64_t end_ms, PauseMode mode);
  // Ends the pause and re-dispatches held commands on every worker (call on a worker).
  void Unpause();
  // Counts an error reply (the bytes of one reply starting with '-') in `ws`.
  static void CountErrorReply(WorkerState& ws, std::string_view reply);
  // maxmemory: the limit, the eviction policy and the server-wide eviction (memory_family.h).
  MemoryGuard& memory_guard() { return *memory_guard_; }
  // Highest used_memory INFO has observed (Redis's used_memory_peak).
  std::atomic<uint64_t>& memory_peak() { return memory_peak_; }
  // Scripting (commands/script_runner.cc) keeps its state here, type-erased. While
  // script_busy > 0 a script has run past busy-reply-threshold and other clients get BUSY
  // (the FUNCTION KILL text when script_busy_fn is set).
  std::shared_ptr<void> scripting;
  std::atomic<int> script_busy{0};
  std::atomic<bool> script_busy_fn{false};
  // Next SLOWLOG entry id (shared by the workers' slow logs, commands/slowlog_family.cc).
  std::atomic<uint64_t>& slowlog_ids() { return slowlog_ids_; }
  // Pub/sub registry (commands/pubsub_hub.h) and the keyspace notification classes in force
  // (commands/notify.h; 0 when notifications are off).
  PubSubHub& pubsub() { return *pubsub_; }
  std::atomic<uint32_t>& keyspace_events() { return keyspace_events_; }
  // CLIENT TRACKING state (commands/tracking.h).
  Tracker& tracker() { return *tracker_; }

 private:
  // On the connection's home worker, as a hop's reply lands: releases its share of the
  // connection's hop_transit.
  static void LandHop(ConnContext& conn);
  void HopSingle(ConnContext& conn, const CommandSpec* spec, CmdArgs args, int target,
                 bool track);
  void DeferLocal(ConnContext& conn, const CommandSpec* spec, CmdArgs args, bool track);
  void QueueInMulti(ConnContext& conn, CmdArgs args);
 public:
  // Runs one command whose keys span `shards` as an implicit transaction: the shards are
  // locked (ascending order), the command's coordinator runs, the shards are released. This
  // makes every multi-key command atomic and isolated across shards.
  void RunAtomically(ConnContext& conn, CmdArgs args, std::vector<int> shards);
 private:
  // Runs a handler on the current worker and records it; returns its run time (µs).
  int64_t Execute(const CommandSpec* spec, CmdArgs args, CmdCtx& ctx);
  bool ParkIfPaused(ConnContext& conn, const CommandSpec* spec, CmdArgs args);
  void ResumeParked(WorkerState& ws);
  void OnWorkerTimer(int worker);  // every 100 ms on each worker

  Engine* engine_;
  ServiceOptions opts_;
  ConfigStore config_;
  int64_t start_ms_;
  std::vector<std::unique_ptr<CommandSpec>> commands_;
  absl::flat_hash_map<std::string, const CommandSpec*> by_name_;
  std::vector<const CommandSpec*> all_specs_;
  std::vector<std::unique_ptr<WorkerState>> workers_;
  std::atomic<uint64_t> next_client_id_{0};
  std::atomic<uint64_t> next_tx_id_{0};
  std::atomic<int64_t> connected_clients_{0};
  std::atomic<bool> shutdown_{false};
  std::mutex pause_mu_;  // serialises Pause/Unpause writers
  std::atomic<bool> paused_{false};  // read by Dispatch on every command
  std::atomic<int64_t> pause_end_ms_{0};
  std::atomic<int> pause_mode_{0};
  std::atomic<uint64_t> memory_peak_{0};
  std::unique_ptr<MemoryGuard> memory_guard_;
  std::atomic<uint64_t> slowlog_ids_{0};
  std::unique_ptr<PubSubHub> pubsub_;
  std::atomic<uint32_t> keyspace_events_{0};
  std::unique_ptr<Tracker> tracker_;
};

template <class R>
void Service::RunOnShards(CmdCtx& ctx, const std::vector<int>& shards,
                          std::function<R(CmdCtx&)> fn,
                          absl::AnyInvocable<void(std::vector<R>&)> then) {
  struct Join {
    std::vector<R> results;
    size_t remaining;
    absl::AnyInvocable<void(std::vector<R>&)> then;
  };
  auto* j = new Join{std::vector<R>(shards.size()), shards.size(), std::move(then)};
  Worker* origin = ctx.worker;
  int src = origin->id();
  int db = ctx.db_index;
  const CommandSpec* spec = ctx.spec;
  Service* svc = this;
  size_t local_index = shards.size();
  for (size_t i = 0; i < shards.size(); ++i) {
    if (shards[i] == src) {
      local_index = i;
      continue;
    }
    uint64_t tx = ctx.tx_id;
    uint64_t cid = ctx.client_id;
    origin->Send(shards[i], [svc, spec, db, src, i, j, fn, tx, cid]() mutable {
      svc->RunData(tx, [svc, spec, db, src, i, j, fn, tx, cid]() mutable {
        CmdCtx c;
        c.svc = svc;
        c.client_id = cid;
        c.worker = Worker::Current();
        c.spec = spec;
        c.db_index = db;
        c.now_ms = NowUnixMs();
        c.tx_id = tx;
        Shard& sh = c.worker->shard();
        bool was = sh.write_mode();
        sh.set_write_mode(spec && (spec->flags & kCmdWrite));
        R r = fn(c);
        sh.set_write_mode(was);
        c.worker->Send(src, [j, i, r = std::move(r)]() mutable {
          j->results[i] = std::move(r);
          if (--j->remaining == 0) {
            j->then(j->results);
            delete j;
          }
        });
      });
    });
  }
  if (local_index < shards.size()) {
    CmdCtx c = ctx;
    c.conn = nullptr;
    RunData(ctx.tx_id, [c, j, local_index, fn]() mutable {
      c.now_ms = NowUnixMs();
      Shard& sh = c.worker->shard();
      bool was = sh.write_mode();
      sh.set_write_mode(c.spec && (c.spec->flags & kCmdWrite));
      j->results[local_index] = fn(c);
      sh.set_write_mode(was);
      if (--j->remaining == 0) {
        j->then(j->results);
        delete j;
      }
    });
  } else if (shards.empty()) {
    j->then(j->results);
    delete j;
  }
}

}  // namespace kora
