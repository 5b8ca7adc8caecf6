#include "commands/script_runner.h"
#include "commands/tracking.h"

#include <sched.h>

#include <algorithm>
#include <deque>

#include "base/logging.h"
#include "base/strutil.h"
#include "commands/capture_conn.h"
#include "commands/family_util.h"
#include "commands/memory_family.h"

namespace kora {
namespace {

// The in-process connection a script's redis.call commands run through.
class ScriptConn final : public CaptureConn {
 public:
  // `real` is a copy of the client's fields taken on its own worker.
  ScriptConn(const ConnContext& real, uint64_t tx) {
    id = real.id;
    home_worker = Worker::Current()->id();
    db_index = real.db_index;
    authenticated = true;
    name = real.name;
    addr = real.addr;
    laddr = real.laddr;
    tx_id = tx;
    deny_blocking = true;
    is_script = true;
  }
  void Unref() override { --refs_; }  // owned by the run; outlives its commands
  void CloseAfterReply() override {}
  void Kill() override {}
};

// Connection-form commands that touch no shard's data.
bool TouchesNoData(const CommandSpec* spec) {
  static const char* const kPure[] = {"ping", "echo", "select", "time", "lastsave", "command",
                                      "info", "config", "client", "debug", "hello", "auth"};
  std::string_view n = spec->name;
  size_t bar = n.find('|');
  if (bar != std::string_view::npos) n = n.substr(0, bar);
  for (const char* p : kPure) {
    if (n == p) return true;
  }
  return false;
}

std::vector<std::string_view> Views(const std::vector<std::string>& v) {
  return std::vector<std::string_view>(v.begin(), v.end());
}

// Serves the worker's loop until done() holds; false if the engine stops first (other workers
// may have exited, so what we wait for may never come).
bool PumpUntil(const std::function<bool()>& done) {
  Worker* w = Worker::Current();
  while (!done()) {
    if (w->engine().stopping()) return false;
    if (!w->Pump()) sched_yield();
  }
  return true;
}

// The client fields a script's in-process connection copies (taken on the client's worker).
class ConnFields final : public ConnContext {
 public:
  ReplyBuilder& Reply() override { return rb_; }
  uint64_t ReserveSlot() override { return 0; }
  void FillSlot(uint64_t, std::string) override {}
  void SetBarrier(bool) override {}
  void Ref() override {}
  void Unref() override {}
  void CloseAfterReply() override {}
  void Kill() override {}
  size_t QueryBufferBytes() const override { return 0; }
  size_t OutputBufferBytes() const override { return 0; }
  size_t PendingReplies() const override { return 0; }

 private:
  std::string buf_;
  ReplyBuilder rb_{&buf_, 2};
};

struct Run {
  Service* svc = nullptr;
  ConnContext* conn = nullptr;  // Ref'd; touched only on conn_worker
  int conn_worker = 0;
  ConnFields fields;            // what the script needs of conn, usable on any worker
  // The client tracks its reads (CLIENT TRACKING): its home worker, else -1. As Redis 7.0 does,
  // the first read-only call of the script remembers the script's declared keys for it.
  int tracking_worker = -1;
  bool keys_tracked = false;
  PendingReply* pending = nullptr;
  std::unique_ptr<ScriptJob> job;
  int home = 0;  // the worker that runs the script (holds its shard's lock)
  int db = 0;
  uint64_t tx_id = 0;
  bool own_locks = true;   // false inside EXEC: the transaction holds the shards
  std::vector<int> held;   // ascending
};

class Runner;
Runner& RunnerOf(Service& svc, int worker);

void TakeLockHere(Service* svc, uint64_t id) {
  svc->local().tx_lock = id;
  Worker::Current()->shard().set_cron_paused(true);
}

// Restores what the script's undo log on this shard recorded, newest first.
void RollbackHere(Service* svc, uint64_t id) {
  auto& logs = GetScripting(*svc).undo(Worker::Current()->id());
  auto it = logs.find(id);
  if (it == logs.end()) return;
  Shard& shard = Worker::Current()->shard();
  auto& entries = it->second.entries;
  for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
    DbTable& db = shard.db(e->db);
    db.Erase(e->key);
    if (!e->present) continue;
    KeyEntry* k = db.Insert(e->key, std::move(e->value));
    if (e->expire_at != 0) db.SetExpire(k, e->expire_at);
  }
  logs.erase(it);
}

// Records the keys (of this shard) a write command is about to change, once per key.
void SnapshotHere(Service* svc, uint64_t id, int db_index,
                  const std::vector<std::string>& keys) {
  int me = Worker::Current()->id();
  UndoLog& log = GetScripting(*svc).undo(me)[id];
  DbTable& db = Worker::Current()->shard().db(db_index);
  int64_t now = NowUnixMs();
  for (const auto& key : keys) {
    if (svc->engine().ShardOf(key) != me) continue;
    std::string tag = std::to_string(db_index) + '\0' + key;
    if (!log.seen.insert(tag).second) continue;
    UndoEntry u;
    u.db = db_index;
    u.key = key;
    if (KeyEntry* e = db.Peek(key, now)) {
      u.present = true;
      u.value = e->value.Clone();
      u.expire_at = e->expire_at;
    }
    log.entries.push_back(std::move(u));
  }
}

void ReleaseHere(Service* svc, uint64_t id) {
  WorkerState& ws = svc->local();
  if (ws.tx_lock != id) return;
  GetScripting(*svc).undo(Worker::Current()->id()).erase(id);
  ws.tx_lock = 0;
  Worker::Current()->shard().set_cron_paused(false);
  std::deque<absl::AnyInvocable<void()>> waiting;
  waiting.swap(ws.deferred);
  for (auto& f : waiting) svc->RunData(0, std::move(f));
}

void LockFrom(std::shared_ptr<Run> r, size_t i);

// Undoes the writes of an abandoned run on every shard it holds (before Release).
void Rollback(const std::shared_ptr<Run>& r) {
  if (!r->own_locks) return;
  Worker* w = Worker::Current();
  Service* svc = r->svc;
  uint64_t id = r->tx_id;
  for (int s : r->held) {
    if (s == w->id()) {
      RollbackHere(svc, id);
    } else {
      w->Send(s, [svc, id] { RollbackHere(svc, id); });
    }
  }
}

void Release(const std::shared_ptr<Run>& r) {
  if (!r->own_locks) return;
  Worker* w = Worker::Current();
  Service* svc = r->svc;
  uint64_t id = r->tx_id;
  for (int s : r->held) {
    if (s == w->id()) {
      ReleaseHere(svc, id);
    } else {
      w->Send(s, [svc, id] { ReleaseHere(svc, id); });
    }
  }
}

class Runner : public BatchListener {
 public:
  void Add(std::shared_ptr<Run> r) {
    ready_.push_back(std::move(r));
    if (!scheduled_) {
      scheduled_ = true;
      Worker::Current()->ScheduleBatchEnd(this);
    }
  }
  void OnBatchEnd() override {
    scheduled_ = false;
    if (active_) return;  // the loop below picks it up
    active_ = true;
    while (!ready_.empty()) {
      auto r = std::move(ready_.front());
      ready_.pop_front();
      Execute(std::move(r));
    }
    active_ = false;
  }

 private:
  void Execute(std::shared_ptr<Run> r);
  std::deque<std::shared_ptr<Run>> ready_;
  bool scheduled_ = false, active_ = false;
};

// Locks r->held[i..] in ascending order, then queues the run on its worker.
void LockFrom(std::shared_ptr<Run> r, size_t i) {
  if (!r->own_locks || i == r->held.size()) {
    RunnerOf(*r->svc, r->home).Add(std::move(r));
    return;
  }
  Service* svc = r->svc;
  uint64_t id = r->tx_id;
  int home = r->home;
  int s = r->held[i];
  if (s == home) {
    svc->RunData(0, [svc, id, r, i] {
      TakeLockHere(svc, id);
      LockFrom(r, i + 1);
    });
    return;
  }
  Worker::Current()->Send(s, [svc, id, home, r, i] {
    svc->RunData(0, [svc, id, home, r, i] {
      TakeLockHere(svc, id);
      Worker::Current()->Send(home, [r, i] { LockFrom(r, i + 1); });
    });
  });
}

// What redis.call does for one script run.
class ScriptHost final : public lua::Host {
 public:
  ScriptHost(Run* run, RunSlot* slot)
      : run_(run), slot_(slot), conn_(run->fields, run->tx_id), start_us_(MonotonicUs()) {
    conn_.db_index = run->db;
  }

  bool restart() const { return restart_; }
  bool busy() const { return busy_; }

  void Call(std::span<const std::string_view> args, int resp, std::string* reply) override {
    if (restart_) {
      *reply = "-ERR script is being restarted\r\n";
      return;
    }
    Service& svc = *run_->svc;
    const CommandSpec* spec = svc.Find(args[0]);
    if (spec == nullptr) {
      *reply = "-ERR Unknown Redis command called from script\r\n";
      return;
    }
    auto bad_arity = [&](const CommandSpec* s) {
      int argc = static_cast<int>(args.size());
      return (s->arity > 0 && argc != s->arity) || (s->arity < 0 && argc < -s->arity);
    };
    if (bad_arity(spec)) {
      *reply = "-ERR Wrong number of args calling Redis command from script\r\n";
      return;
    }
    if (!spec->subcommands.empty() && args.size() >= 2) {
      std::string full = spec->name + "|" + ToLower(args[1]);
      for (const auto& s : spec->subcommands) {
        if (s.name == full) spec = &s;
      }
      if (bad_arity(spec)) {
        *reply = "-ERR Wrong number of args calling Redis command from script\r\n";
        return;
      }
    }
    if (spec->flags & kCmdNoScript) {
      *reply = "-ERR This Redis command is not allowed from script\r\n";
      return;
    }
    bool write = (spec->flags & kCmdWrite) != 0;
    if ((spec->flags & kCmdReadOnly) && run_->tracking_worker >= 0 && !run_->keys_tracked) {
      run_->keys_tracked = true;
      svc.tracker().RememberKeyList(run_->job->keys, run_->fields.id, run_->tracking_worker);
    }
    if (write && run_->job->read_only) {
      *reply = "-ERR Write commands are not allowed from read-only scripts.\r\n";
      return;
    }
    if (run_->job->deny_oom && (spec->flags & kCmdDenyOom)) {
      reply->assign("-").append(kOomError).append("\r\n");
      return;
    }
    if (!EnterShards(spec, args, reply)) return;
    if (write) {
      wrote_ = true;
      slot_->wrote.store(true);
      if (MayStillEscalate()) Snapshot(spec, args);
    }
    conn_.Begin();
    conn_.resp = resp;
    svc.Dispatch(conn_, args);
    if (!conn_.complete() && !PumpUntil([this] { return conn_.complete(); })) {
      *reply = "-ERR server is shutting down\r\n";
      return;
    }
    *reply = std::move(conn_.reply());
    if (reply->empty()) *reply = "+OK\r\n";  // a command that suppressed its reply
  }

  bool Continue() override {
    int64_t limit = threshold_.Get(run_->svc->config());
    if (!busy_ && limit > 0 && MonotonicUs() - start_us_ >= limit * 1000) {
      busy_ = true;
      {
        std::lock_guard<std::mutex> lk(slot_->mu);
        slot_->name = run_->job->name;
        slot_->command = run_->job->command;
        slot_->start_ms = NowUnixMs() - (MonotonicUs() - start_us_) / 1000;
      }
      slot_->busy.store(true);
      run_->svc->script_busy_fn.store(run_->job->is_function);
      run_->svc->script_busy.fetch_add(1);
    }
    if (busy_) Worker::Current()->Pump();  // serve BUSY replies and SCRIPT KILL meanwhile
    // SHUTDOWN NOSAVE (or SIGTERM) stops a busy script even after it wrote.
    if (run_->svc->shutdown_requested().load() || run_->svc->engine().stopping()) return false;
    return !slot_->kill.load();
  }

  int CheckCommand(std::span<const std::string_view> args) override {
    return run_->svc->Find(args[0]) == nullptr ? -1 : 1;
  }

  void Log(int level, std::string_view msg) override {
    if (level >= 3) {
      KORA_LOG_WARN("{}", msg);
    } else if (level == 2) {
      KORA_LOG_INFO("{}", msg);
    } else {
      KORA_LOG_DEBUG("{}", msg);
    }
  }

  void EndBusy() {
    if (busy_) {
      run_->svc->script_busy.fetch_sub(1);
      busy_ = false;
    }
  }

 private:
  // Makes sure the script holds every shard the command touches (see the design note).
  bool EnterShards(const CommandSpec* spec, std::span<const std::string_view> args,
                   std::string* reply) {
    Service& svc = *run_->svc;
    Engine& eng = svc.engine();
    if (!run_->own_locks || eng.size() == 1) return true;
    std::vector<int> need;
    if (spec->flags & kCmdConn) {
      if (!TouchesNoData(spec)) need = svc.AllShards();
    } else {
      std::vector<size_t> keys;
      ExtractKeys(*spec, args, &keys);
      for (size_t k : keys) need.push_back(eng.ShardOf(args[k]));
    }
    for (int s : need) {
      auto& held = run_->held;
      if (std::binary_search(held.begin(), held.end(), s)) continue;
      if (!Acquire(s, s > held.back())) {
        // Start over holding every shard; what it wrote so far is rolled back.
        restart_ = true;
        *reply = "-ERR script is being restarted\r\n";
        return false;
      }
      held.insert(std::upper_bound(held.begin(), held.end(), s), s);
    }
    return true;
  }

  // True while the script does not hold every shard: it may still have to start over, so its
  // writes are recorded for rollback.
  bool MayStillEscalate() const {
    return run_->own_locks && run_->held.size() < static_cast<size_t>(run_->svc->engine().size());
  }

  void Snapshot(const CommandSpec* spec, std::span<const std::string_view> args) {
    std::vector<size_t> idx;
    ExtractKeys(*spec, args, &idx);
    if (idx.empty()) return;
    auto keys = std::make_shared<std::vector<std::string>>();
    std::vector<int> shards;
    Engine& eng = run_->svc->engine();
    for (size_t i : idx) {
      keys->emplace_back(args[i]);
      shards.push_back(eng.ShardOf(args[i]));
    }
    std::sort(shards.begin(), shards.end());
    shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
    Service* svc = run_->svc;
    uint64_t id = run_->tx_id;
    int db = conn_.db_index;
    int home = run_->home;
    auto remaining = std::make_shared<int>(0);
    for (int s : shards) {
      if (s == home) {
        SnapshotHere(svc, id, db, *keys);
        continue;
      }
      ++*remaining;
      Worker::Current()->Send(s, [svc, id, db, keys, home, remaining] {
        SnapshotHere(svc, id, db, *keys);
        Worker::Current()->Send(home, [remaining] { --*remaining; });
      });
    }
    if (*remaining > 0) PumpUntil([remaining] { return *remaining == 0; });  // false: stopping
  }

  // Takes shard s's lock: waiting for it when that keeps the ascending order, else only if
  // it is free right now (never waits out of order, so no cycle can form).
  bool Acquire(int s, bool may_wait) {
    Service* svc = run_->svc;
    uint64_t id = run_->tx_id;
    int home = run_->home;
    auto result = std::make_shared<int>(-1);
    Worker::Current()->Send(s, [svc, id, home, may_wait, result] {
      WorkerState& ws = svc->local();
      if (!may_wait && ws.tx_lock != 0) {
        Worker::Current()->Send(home, [result] { *result = 0; });
        return;
      }
      svc->RunData(0, [svc, id, home, result] {
        TakeLockHere(svc, id);
        Worker::Current()->Send(home, [result] { *result = 1; });
      });
    });
    if (!PumpUntil([result] { return *result >= 0; })) return false;
    return *result == 1;
  }

  Run* run_;
  RunSlot* slot_;
  ScriptConn conn_;
  int64_t start_us_;
  bool wrote_ = false, restart_ = false, busy_ = false;
  CachedIntParam threshold_{"busy-reply-threshold"};
};

void Runner::Execute(std::shared_ptr<Run> r) {
  Service& svc = *r->svc;
  Scripting& sc = GetScripting(svc);
  RunSlot& slot = sc.slot(r->home);
  slot.kill.store(false);
  slot.wrote.store(false);
  slot.busy.store(false);
  slot.is_function.store(r->job->is_function);
  const ScriptJob& job = *r->job;
  std::string out;
  ReplyBuilder rb(&out, r->fields.resp);
  bool restart = false;
  // Rebuild a flushed VM now, before it is in use.
  if (job.is_function) {
    sc.FunctionVm(r->home);
  } else {
    sc.EvalVm(r->home);
  }
  sc.SetRunning(r->home, true);
  {
    ScriptHost host(r.get(), &slot);
    if (job.is_function) {
      int ref = sc.FunctionRef(r->home, job.name);
      if (ref == 0) {
        rb.Error("ERR Function not found");
      } else {
        sc.FunctionVm(r->home).Run(ref, job.name, Views(job.keys), Views(job.args), &host,
                                   true, &rb);
      }
    } else {
      lua::Vm& vm = sc.EvalVm(r->home);
      int ref = vm.FindScript(job.name);
      std::string err;
      if (ref == 0) ref = vm.CompileScript(job.name, job.body, &err);
      if (ref == 0) {
        rb.Error("ERR " + err);
      } else {
        vm.Run(ref, job.name, Views(job.keys), Views(job.args), &host, true, &rb);
      }
    }
    host.EndBusy();
    restart = host.restart();
  }
  sc.SetRunning(r->home, false);
  sc.NoteVmMemory(r->home);
  slot.busy.store(false);
  if (restart) Rollback(r);
  Release(r);
  if (restart) {
    // It touched a shard it had not locked before writing anything: run it again holding
    // every shard (and remember to do so from the start next time).
    if (!job.is_function) sc.MarkUndeclared(job.name);
    r->held = svc.AllShards();
    r->tx_id = svc.NextTxId();
    LockFrom(r, 0);
    return;
  }
  if (r->conn_worker == Worker::Current()->id()) {
    r->pending->Finish([&out](ReplyBuilder& b) { b.Raw(out); });
    r->conn->Unref();
    return;
  }
  Worker::Current()->Send(r->conn_worker, [r, out = std::move(out)] {
    r->pending->Finish([&out](ReplyBuilder& b) { b.Raw(out); });
    r->conn->Unref();
  });
}

Runner& RunnerOf(Service& svc, int worker) {
  auto& slot = GetScripting(svc).runners()[worker];
  if (!slot) slot = std::make_unique<Runner>();
  return static_cast<Runner&>(*slot);
}

}  // namespace

namespace {
// Whether memory stayed over maxmemory after the evictions made before this command (Redis
// judges scripts on that pre-command state). Inside EXEC the transaction was admitted whole.
bool OverMaxmemory(CmdCtx& ctx) {
  return ctx.conn->tx_id == 0 && ctx.conn->oom_before_command &&
         ctx.svc->memory_guard().enabled();
}
}  // namespace

bool ScriptRefusedForOom(CmdCtx& ctx, uint32_t flags) {
  if ((flags & (lua::kFlagEvalCompat | lua::kFlagAllowOom | lua::kFlagNoWrites)) ||
      !OverMaxmemory(ctx)) {
    return false;
  }
  ctx.rb->Error(kOomError);
  return true;
}

void RunScriptJob(CmdCtx& ctx, std::unique_ptr<ScriptJob> job) {
  Service& svc = *ctx.svc;
  // An EVAL script without a shebang started over maxmemory: it runs, and its commands that
  // may grow memory are refused one by one (see ScriptRefusedForOom for the others).
  job->deny_oom = (job->flags & lua::kFlagEvalCompat) && OverMaxmemory(ctx);
  Engine& eng = svc.engine();
  auto r = std::make_shared<Run>();
  r->svc = &svc;
  r->conn = ctx.conn;
  r->conn->Ref();
  r->conn_worker = ctx.worker->id();
  r->home = r->conn_worker;
  r->db = ctx.conn->db_index;
  r->fields.id = ctx.conn->id;
  r->fields.db_index = ctx.conn->db_index;
  r->fields.resp = ctx.conn->resp;
  r->fields.name = ctx.conn->name;
  r->fields.addr = ctx.conn->addr;
  r->fields.laddr = ctx.conn->laddr;
  r->tracking_worker = ctx.may_track ? ctx.client_worker : -1;
  r->pending = new PendingReply(ctx.conn, /*barrier=*/true);
  if (ctx.conn->tx_id != 0) {  // inside EXEC, which holds every shard a script may need
    r->own_locks = false;
    r->tx_id = ctx.conn->tx_id;
  } else {
    r->tx_id = svc.NextTxId();
    if (eng.size() > 1 && !job->is_function && GetScripting(svc).IsUndeclared(job->name)) {
      r->held = svc.AllShards();
    } else {
      for (const auto& k : job->keys) r->held.push_back(eng.ShardOf(k));
      std::sort(r->held.begin(), r->held.end());
      r->held.erase(std::unique(r->held.begin(), r->held.end()), r->held.end());
      if (r->held.size() == 1) {
        // Every declared key on one shard: run the script there, next to its data, and send
        // the reply back (one hop each way instead of one per command).
        r->home = r->held[0];
      } else {
        r->held.push_back(r->home);
        std::sort(r->held.begin(), r->held.end());
        r->held.erase(std::unique(r->held.begin(), r->held.end()), r->held.end());
      }
    }
  }
  r->job = std::move(job);
  if (r->home != r->conn_worker) {
    ctx.worker->Send(r->home, [r] { LockFrom(r, 0); });
    return;
  }
  LockFrom(std::move(r), 0);
}

}  // namespace kora
