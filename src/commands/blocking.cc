#include "commands/blocking.h"

#include <cmath>

#include "base/strutil.h"
#include "commands/service.h"

namespace kora {
namespace {

// Home worker: delivers the reply (or nothing, for a closed client), releases the connection
// and drops the ticket everywhere.
void FinishOnHome(Service* svc, BlockTicket* t, std::string reply, bool deliver) {
  ConnContext* c = t->conn;
  if (deliver && !c->closing) c->FillSlot(t->slot, std::move(reply));
  c->SetBarrier(false);
  WorkerState& ws = svc->local();
  for (size_t i = 0; i < ws.blocked.size(); ++i) {
    if (ws.blocked[i] == t) {
      ws.blocked.erase(ws.blocked.begin() + static_cast<std::ptrdiff_t>(i));
      --ws.blocked_clients;
      t->Unref();  // the home list's reference
      break;
    }
  }
  Worker* w = Worker::Current();
  for (int s : t->shards) {
    t->Ref();
    w->Send(s, [svc, t] {
      svc->local().blocking->Remove(t);
      t->Unref();
    });
  }
  c->Unref();
}

void SendHome(Service* svc, BlockTicket* t, std::string reply) {
  t->Ref();
  Worker::Current()->Send(t->home_worker, [svc, t, reply = std::move(reply)]() mutable {
    FinishOnHome(svc, t, std::move(reply), true);
    t->Unref();
  });
}

}  // namespace

bool ClaimAndServe(CmdCtx& ctx, BlockTicket* t, std::string_view key) {
  if (t->claimed.exchange(true, std::memory_order_acq_rel)) return false;
  std::string reply;
  CmdCtx c = ctx;
  c.db_index = t->db_index;
  Shard& sh = c.worker->shard();
  bool was = sh.write_mode();
  sh.set_write_mode(true);
  t->serve(c, key, &reply);
  sh.set_write_mode(was);
  int relay = t->relay_key.empty() ? -1 : ctx.svc->engine().ShardOf(t->relay_key);
  if (relay >= 0 && relay != c.worker->id()) {
    Service* svc = ctx.svc;
    t->Ref();
    c.worker->Send(relay, [svc, t, reply = std::move(reply)]() mutable {
      SendHome(svc, t, std::move(reply));
      t->Unref();
    });
    return true;
  }
  SendHome(ctx.svc, t, std::move(reply));
  return true;
}

bool BlockingRegistry::RegisterOrServe(CmdCtx& ctx, BlockTicket* t, bool first_attempt) {
  if (t->claimed.load(std::memory_order_acquire)) return true;
  CmdCtx c = ctx;
  c.db_index = t->db_index;
  int me = ctx.worker->id();
  Engine& eng = ctx.svc->engine();
  for (const auto& k : t->keys) {
    if (eng.ShardOf(k) != me) continue;
    if (first_attempt && t->first_error) {
      std::string e = t->first_error(c, k);
      if (!e.empty()) {
        if (!t->claimed.exchange(true, std::memory_order_acq_rel)) {
          std::string reply;
          ReplyBuilder rb(&reply, t->resp);
          rb.Error(e);
          SendHome(ctx.svc, t, std::move(reply));
        }
        return true;
      }
    }
    if (t->ready(c, k)) return ClaimAndServe(c, t, k) || true;
  }
  for (const auto& k : t->keys) {
    if (eng.ShardOf(k) != me) continue;
    Queue& q = queues_[t->db_index][k];
    bool dup = false;
    for (auto* x : q) dup |= x == t;  // BLPOP k k: one entry is enough
    if (dup) continue;
    t->Ref();
    q.push_back(t);
    ++waiting_;
  }
  return false;
}

void BlockingRegistry::Remove(BlockTicket* t) {
  for (const auto& k : t->keys) {
    auto it = queues_[t->db_index].find(k);
    if (it == queues_[t->db_index].end()) continue;
    Queue& q = it->second;
    for (size_t i = 0; i < q.size(); ++i) {
      if (q[i] == t) {
        q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));
        --waiting_;
        t->Unref();
        break;
      }
    }
    if (q.empty()) queues_[t->db_index].erase(it);
  }
}

void BlockingRegistry::Serve(CmdCtx& ctx, std::string_view key) {
  if (waiting_ == 0) return;
  // Serving can push to other keys of this shard (BLMOVE); those are handled after the current
  // one, never recursively, so no queue reference is held across a serve.
  ready_.emplace_back(ctx.db_index, std::string(key));
  if (serving_) return;
  serving_ = true;
  while (!ready_.empty()) {
    auto [db, k] = std::move(ready_.front());
    ready_.pop_front();
    CmdCtx c = ctx;
    c.db_index = db;
    size_t pos = 0;  // waiters before it were skipped as not ready (independent ones)
    while (true) {
      auto it = queues_[db].find(k);
      if (it == queues_[db].end()) break;
      Queue& q = it->second;
      if (pos >= q.size()) {
        if (q.empty()) queues_[db].erase(it);
        break;
      }
      BlockTicket* t = q[pos];
      auto at = q.begin() + static_cast<std::ptrdiff_t>(pos);
      if (t->claimed.load(std::memory_order_acquire)) {
        q.erase(at);
        --waiting_;
        t->Unref();
        continue;
      }
      if (!t->ready(c, k)) {
        if (!t->independent) break;
        ++pos;
        continue;
      }
      q.erase(at);
      --waiting_;
      ClaimAndServe(c, t, k);
      t->Unref();
    }
  }
  serving_ = false;
}

void BlockClient(CmdCtx& ctx, BlockTicket* t) {
  ConnContext* conn = ctx.conn;
  t->home_worker = ctx.worker->id();
  t->conn = conn;
  t->resp = conn->resp;
  t->db_index = ctx.db_index;
  t->slot = conn->ReserveSlot();
  // Inside a transaction blocking commands do not block: the first attempt serves or, failing
  // that, the timeout check answers at once (Redis's CLIENT_DENY_BLOCKING).
  if (conn->deny_blocking) t->deadline_ms = ctx.now_ms > 0 ? ctx.now_ms : 1;
  conn->Ref();
  conn->SetBarrier(true);
  Engine& eng = ctx.svc->engine();
  for (const auto& k : t->keys) {
    int s = eng.ShardOf(k);
    bool seen = false;
    for (int x : t->shards) seen |= x == s;
    if (!seen) t->shards.push_back(s);
  }
  WorkerState& ws = ctx.svc->local();
  t->Ref();
  ws.blocked.push_back(t);
  ++ws.blocked_clients;
  Service* svc = ctx.svc;
  for (int s : t->shards) {
    t->Ref();
    ctx.worker->Send(s, [svc, t] {
      CmdCtx c;
      c.svc = svc;
      c.worker = Worker::Current();
      c.db_index = t->db_index;
      c.now_ms = NowUnixMs();
      svc->local().blocking->RegisterOrServe(c, t, /*first_attempt=*/true);
      t->Unref();
    });
  }
  t->Unref();  // the creator's reference
}

void CheckBlockedClients(Service* svc, int64_t now_ms) {
  WorkerState& ws = svc->local();
  if (ws.blocked.empty()) return;
  std::vector<BlockTicket*> expired;
  for (BlockTicket* t : ws.blocked) {
    bool gone = t->conn->closing;
    bool late = t->deadline_ms != 0 && now_ms >= t->deadline_ms;
    if ((gone || late) && !t->claimed.exchange(true, std::memory_order_acq_rel)) {
      expired.push_back(t);
    }
  }
  for (BlockTicket* t : expired) {
    std::string reply;
    ReplyBuilder rb(&reply, t->resp);
    t->timeout_reply == BlockTicket::kZero ? rb.Integer(0) : rb.NullArray();
    t->Ref();
    FinishOnHome(svc, t, std::move(reply), !t->conn->closing);
    t->Unref();
  }
}

bool UnblockClient(Service* svc, uint64_t id, bool with_error) {
  WorkerState& ws = svc->local();
  for (BlockTicket* t : ws.blocked) {
    if (t->conn->id != id) continue;
    if (t->claimed.exchange(true, std::memory_order_acq_rel)) return false;
    std::string reply;
    ReplyBuilder rb(&reply, t->resp);
    if (with_error) {
      rb.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else {
      t->timeout_reply == BlockTicket::kZero ? rb.Integer(0) : rb.NullArray();
    }
    t->Ref();
    FinishOnHome(svc, t, std::move(reply), true);
    t->Unref();
    return true;
  }
  return false;
}

bool ParseBlockTimeout(std::string_view arg, int64_t now_ms, int64_t* deadline_ms,
                       std::string* error) {
  long double v;
  if (!ParseLongDouble(arg, &v)) {
    *error = "ERR timeout is not a float or out of range";
    return false;
  }
  long double ms = std::ceil(v * 1000.0L);
  // Redis 7.0 converts with an unchecked cast: huge or infinite values come out negative.
  if (ms < 0 || std::isinf(ms) || ms >= 9.2e18L) {
    *error = "ERR timeout is negative";
    return false;
  }
  int64_t t = static_cast<int64_t>(ms);
  *deadline_ms = t == 0 ? 0 : now_ms + t;
  return true;
}

}  // namespace kora
