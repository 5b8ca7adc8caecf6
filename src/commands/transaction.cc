// MULTI / EXEC / DISCARD, atomic and isolated across shards. See docs/design/transactions.md.
//
// EXEC computes the shards its queued commands touch, locks them one by one in ascending shard
// order (so two transactions can never wait on each other in a cycle), runs the commands in
// order through an in-process connection whose tasks carry the transaction id (so they enter
// the locked shards while everything else waits in the shards' deferred queues), then unlocks.
// Single-key commands pay one branch for this (WorkerState::tx_lock) and nothing else.
#include <algorithm>
#include <functional>
#include <memory>

#include "base/strutil.h"
#include "commands/capture_conn.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"

namespace kora {
namespace {

// The in-process connection EXEC runs its commands through, one at a time.
class TxConn final : public CaptureConn {
 public:
  explicit TxConn(const ConnContext& real) {
    id = real.id;
    home_worker = real.home_worker;
    db_index = real.db_index;
    resp = real.resp;
    authenticated = real.authenticated;
    name = real.name;
    lib_name = real.lib_name;
    lib_ver = real.lib_ver;
    addr = real.addr;
    laddr = real.laddr;
    created_ms = real.created_ms;
    deny_blocking = true;
  }

  // Runs once, when the current command's reserved reply slot is filled.
  std::function<void()> on_fill;

  void Unref() override {
    if (--refs_ == 0) delete this;
  }
  void CloseAfterReply() override { close_after_ = true; }
  void Kill() override { kill_ = true; }

  bool close_after_ = false, kill_ = false;

 private:
  void OnFilled() override {
    if (on_fill) {
      auto f = std::move(on_fill);
      on_fill = nullptr;
      f();
    }
  }
};

bool TouchesNoShard(const CommandSpec* spec) {
  static const char* const kPure[] = {"ping", "echo", "select", "time", "lastsave", "hello",
                                      "auth", "command", "config", "debug", "wait"};
  std::string_view n = spec->name;
  if (n.rfind("client", 0) == 0 || n.rfind("command", 0) == 0 || n.rfind("config", 0) == 0) {
    return true;
  }
  for (const char* p : kPure) {
    if (n == p) return true;
  }
  return false;
}

struct TxRun {
  Service* svc;
  ConnContext* conn;  // the client's connection (held with Ref)
  PendingReply* pending;
  TxConn* tx;
  uint64_t tx_id;
  std::vector<std::vector<std::string>> cmds;
  std::vector<int> shards;  // ascending
  std::vector<std::string> replies;
  size_t next = 0;
  bool single = false;  // an implicit transaction around one multi-shard command
  bool aborted = false;  // a WATCHed key changed: EXEC answers a null array
  std::vector<ConnContext::WatchedKey> watched;
};

void RunNext(std::shared_ptr<TxRun> r);

void ReleaseAndFinish(std::shared_ptr<TxRun> r) {
  Worker* w = Worker::Current();
  Service* svc = r->svc;
  uint64_t id = r->tx_id;
  for (int s : r->shards) {
    w->Send(s, [svc, id] {
      WorkerState& ws = svc->local();
      if (ws.tx_lock != id) return;
      ws.tx_lock = 0;
      Worker::Current()->shard().set_cron_paused(false);
      std::deque<absl::AnyInvocable<void()>> waiting;
      waiting.swap(ws.deferred);
      // Each runs now or, if it took a new lock (another EXEC), queues behind it again.
      for (auto& f : waiting) svc->RunData(0, std::move(f));
    });
  }
  // State the transaction changed on its connection carries over, as in Redis.
  r->conn->db_index = r->tx->db_index;
  r->conn->resp = r->tx->resp;
  r->conn->name = r->tx->name;
  r->conn->authenticated = r->tx->authenticated;
  bool close_after = r->tx->close_after_, kill = r->tx->kill_;
  r->pending->Finish([&](ReplyBuilder& rb) {
    if (r->aborted) {
      rb.NullArray();
      return;
    }
    if (!r->single) rb.ArrayHeader(static_cast<int64_t>(r->replies.size()));
    for (const auto& rep : r->replies) rb.Raw(rep);
  });
  if (close_after) r->conn->CloseAfterReply();
  if (kill) r->conn->Kill();
  r->tx->Unref();
  r->conn->Unref();
}

void RunNext(std::shared_ptr<TxRun> r) {
  while (r->next < r->cmds.size()) {
    auto& cmd = r->cmds[r->next];
    std::vector<std::string_view> args(cmd.begin(), cmd.end());
    r->tx->Begin();
    r->svc->Dispatch(*r->tx, CmdArgs(args.data(), args.size()));
    if (!r->tx->complete()) {
      r->tx->on_fill = [r] {
        r->replies.push_back(std::move(r->tx->reply()));
        ++r->next;
        RunNext(r);
      };
      return;
    }
    r->replies.push_back(std::move(r->tx->reply()));
    ++r->next;
  }
  ReleaseAndFinish(r);
}

struct WatchState {
  bool present = false;
  uint32_t version = 0;
};

// Under the locks: compares every WATCHed key with its snapshot; aborts (null reply) if one
// changed, was created, deleted or expired.
void CheckWatchesThenRun(std::shared_ptr<TxRun> r) {
  if (r->watched.empty()) {
    RunNext(r);
    return;
  }
  Engine& eng = r->svc->engine();
  std::vector<int> shards;
  for (const auto& w : r->watched) shards.push_back(eng.ShardOf(w.key));
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
  auto watched = std::make_shared<const std::vector<ConnContext::WatchedKey>>(r->watched);
  CmdCtx ctx;
  ctx.svc = r->svc;
  ctx.worker = Worker::Current();
  ctx.tx_id = r->tx_id;
  ctx.now_ms = NowUnixMs();
  r->svc->RunOnShards<bool>(
      ctx, shards,
      [watched](CmdCtx& c) -> bool {
        int me = c.worker->id();
        for (const auto& w : *watched) {
          if (c.svc->engine().ShardOf(w.key) != me) continue;
          KeyEntry* e = c.shard().db(w.db).Peek(w.key, c.now_ms);
          bool present = e != nullptr;
          if (present != w.present || (present && e->version != w.version)) return false;
        }
        return true;
      },
      [r](std::vector<bool>& ok) {
        for (bool b : ok) {
          if (!b) {
            r->aborted = true;
            ReleaseAndFinish(r);
            return;
          }
        }
        RunNext(r);
      });
}

// Locks shards[i..] one at a time, then runs the commands.
void LockFrom(std::shared_ptr<TxRun> r, size_t i) {
  if (i == r->shards.size()) {
    CheckWatchesThenRun(r);
    return;
  }
  Worker* w = Worker::Current();
  int home = w->id();
  Service* svc = r->svc;
  uint64_t id = r->tx_id;
  w->Send(r->shards[i], [svc, id, home, r, i] {
    // Taking the lock is itself data work: behind a held lock it waits its turn.
    svc->RunData(0, [svc, id, home, r, i] {
      svc->local().tx_lock = id;
      Worker::Current()->shard().set_cron_paused(true);
      Worker::Current()->Send(home, [r, i] { LockFrom(r, i + 1); });
    });
  });
}

void CmdMulti(CmdArgs, CmdCtx& ctx) {
  ConnContext& c = *ctx.conn;
  if (c.multi_queued >= 0) {
    ctx.rb->Error("ERR MULTI calls can not be nested");
    return;
  }
  c.multi_queued = 0;
  c.multi_error = false;
  c.multi_cmds.clear();
  ctx.rb->Ok();
}

void CmdDiscard(CmdArgs, CmdCtx& ctx) {
  ConnContext& c = *ctx.conn;
  if (c.multi_queued < 0) {
    ctx.rb->Error("ERR DISCARD without MULTI");
    return;
  }
  c.multi_queued = -1;
  c.multi_error = false;
  c.multi_cmds.clear();
  c.watched.clear();
  ctx.rb->Ok();
}

void CmdExec(CmdArgs, CmdCtx& ctx) {
  ConnContext& c = *ctx.conn;
  if (c.multi_queued < 0) {
    ctx.rb->Error("ERR EXEC without MULTI");
    return;
  }
  auto cmds = std::move(c.multi_cmds);
  bool aborted = c.multi_error;
  auto watched = std::move(c.watched);
  c.watched.clear();
  c.multi_cmds.clear();
  c.multi_queued = -1;
  c.multi_error = false;
  if (aborted) {
    ctx.rb->Error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  if (cmds.empty()) {
    ctx.rb->EmptyArray();
    return;
  }
  Service* svc = ctx.svc;
  Engine& eng = svc->engine();
  std::vector<int> shards;
  std::vector<size_t> keys;
  for (const auto& cmd : cmds) {
    const CommandSpec* spec = svc->Find(cmd[0]);
    if (spec == nullptr) continue;
    std::vector<std::string_view> args(cmd.begin(), cmd.end());
    if (!spec->subcommands.empty() && args.size() >= 2) {
      std::string full = spec->name + "|" + ToLower(args[1]);
      for (const auto& s : spec->subcommands) {
        if (s.name == full) spec = &s;
      }
    }
    if (spec->flags & kCmdConn) {
      if (!TouchesNoShard(spec)) shards = svc->AllShards();
      continue;
    }
    ExtractKeys(*spec, CmdArgs(args.data(), args.size()), &keys);
    for (size_t k : keys) shards.push_back(eng.ShardOf(args[k]));
  }
  for (const auto& w : watched) shards.push_back(eng.ShardOf(w.key));
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());

  auto r = std::make_shared<TxRun>();
  r->svc = svc;
  r->conn = &c;
  c.Ref();
  r->pending = new PendingReply(&c, /*barrier=*/true);
  r->tx = new TxConn(c);
  r->tx_id = svc->NextTxId();
  r->tx->tx_id = r->tx_id;
  r->cmds = std::move(cmds);
  r->shards = std::move(shards);
  r->watched = std::move(watched);
  LockFrom(r, 0);
}

void CmdWatch(CmdArgs args, CmdCtx& ctx) {
  ConnContext& c = *ctx.conn;
  if (c.multi_queued >= 0) {
    ctx.rb->Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  Engine& eng = ctx.svc->engine();
  auto keys = std::make_shared<std::vector<std::string>>();
  for (size_t i = 1; i < args.size(); ++i) {
    bool dup = false;
    for (const auto& w : c.watched) dup |= w.db == ctx.db_index && w.key == args[i];
    for (const auto& k : *keys) dup |= k == args[i];
    if (!dup) keys->emplace_back(args[i]);
  }
  std::vector<int> shards;
  for (const auto& k : *keys) shards.push_back(eng.ShardOf(k));
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
  using Snap = std::vector<std::pair<size_t, WatchState>>;
  auto* pending = new PendingReply(&c, /*barrier=*/true);
  ConnContext* cp = &c;
  cp->Ref();
  int db = ctx.db_index;
  ctx.svc->RunOnShards<Snap>(
      ctx, shards,
      [keys](CmdCtx& cc) -> Snap {
        Snap out;
        int me = cc.worker->id();
        for (size_t i = 0; i < keys->size(); ++i) {
          if (cc.svc->engine().ShardOf((*keys)[i]) != me) continue;
          KeyEntry* e = cc.db().Peek((*keys)[i], cc.now_ms);
          WatchState st;
          st.present = e != nullptr;
          st.version = e ? e->version : 0;
          out.emplace_back(i, st);
        }
        return out;
      },
      [keys, pending, cp, db](std::vector<Snap>& parts) {
        for (auto& part : parts) {
          for (auto& [i, st] : part) {
            cp->watched.push_back({db, (*keys)[i], st.present, st.version});
          }
        }
        pending->Finish([](ReplyBuilder& rb) { rb.Ok(); });
        cp->Unref();
      });
}

void CmdUnwatch(CmdArgs, CmdCtx& ctx) {
  ctx.conn->watched.clear();
  ctx.rb->Ok();
}

}  // namespace

void Service::RunAtomically(ConnContext& conn, CmdArgs args, std::vector<int> shards) {
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
  auto r = std::make_shared<TxRun>();
  r->svc = this;
  r->conn = &conn;
  conn.Ref();
  r->pending = new PendingReply(&conn, /*barrier=*/true);
  r->tx = new TxConn(conn);
  r->tx->deny_blocking = false;
  r->tx_id = NextTxId();
  r->tx->tx_id = r->tx_id;
  r->cmds.emplace_back(args.begin(), args.end());
  r->shards = std::move(shards);
  r->single = true;
  LockFrom(r, 0);
}

void Service::QueueInMulti(ConnContext& conn, CmdArgs args) {
  conn.multi_cmds.emplace_back(args.begin(), args.end());
  ++conn.multi_queued;
  conn.Reply().SimpleString("QUEUED");
}

void RegisterTransactionFamily(Service& svc) {
  const uint32_t k = kCmdConn | kCmdTxControl | kCmdNoScript | kCmdLoading | kCmdStale |
                     kCmdFast | kCmdAllowBusy;
  svc.Register({
      Cmd("multi", 1, k, 0, 0, 0, "fast transaction", CmdMulti),
      Cmd("exec", 1, kCmdConn | kCmdTxControl | kCmdNoScript | kCmdLoading | kCmdStale |
                         kCmdSkipSlowlog,
          0, 0, 0, "slow transaction", CmdExec),
      Cmd("discard", 1, k, 0, 0, 0, "fast transaction", CmdDiscard),
      Cmd("watch", -2, k, 1, -1, 1, "fast transaction", CmdWatch),
      Cmd("unwatch", 1, kCmdConn | kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast |
                            kCmdAllowBusy,
          0, 0, 0, "fast transaction", CmdUnwatch),
  });
}

}  // namespace kora
