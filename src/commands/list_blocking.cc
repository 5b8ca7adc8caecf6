// Blocking list commands: BLPOP BRPOP BLMPOP BLMOVE BRPOPLPUSH (see blocking.h).
#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/blocking.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/list_util.h"
#include "commands/service.h"

namespace kora {

bool ParseMPop(CmdArgs args, size_t first, std::vector<std::string_view>* keys, bool* left,
               int64_t* count, std::string* error);
void MPopKeys(CmdArgs args, size_t first, std::vector<size_t>* out);

void NotifyListPush(CmdCtx& ctx, std::string_view key) {
  BlockingRegistry& reg = *ctx.svc->local().blocking;
  if (!reg.empty()) reg.Serve(ctx, key);
}

namespace {

bool ListReady(CmdCtx& c, std::string_view key) {
  KeyEntry* e = c.db().Find(key, c.now_ms);
  return e != nullptr && e->value.type() == ValueType::kList;
}

ListObject* ListAt(CmdCtx& c, std::string_view key) {
  return c.db().Find(key, c.now_ms)->value.As<ListObject>();
}

// Pushes `v` to `dst` on the current shard; false if dst holds another type.
bool PushHere(CmdCtx& c, const std::string& dst, const std::string& v, bool to_left) {
  Shard& sh = c.worker->shard();
  bool was = sh.write_mode();
  sh.set_write_mode(true);
  KeyEntry* e = c.db().Find(dst, c.now_ms);
  sh.set_write_mode(was);
  if (e && e->value.type() != ValueType::kList) return false;
  if (!e) e = c.db().Insert(dst, Value::Collection(std::make_unique<ListObject>()));
  ListObject* l = e->value.As<ListObject>();
  to_left ? l->PushFront(v) : l->PushBack(v);
  NotifyKeyspaceEvent(c, kNotifyList, to_left ? "lpush" : "rpush", dst);
  NotifyListPush(c, dst);
  return true;
}

// Pushes to `dst` wherever it lives; if it turned into another type, the element goes back
// to `src` (on the current shard) so it is never lost.
void PushAnywhere(CmdCtx& c, const std::string& src, const std::string& dst, std::string v,
                  bool from_left, bool to_left) {
  int ds = c.svc->engine().ShardOf(dst);
  if (ds == c.worker->id()) {
    if (!PushHere(c, dst, v, to_left)) PushHere(c, src, v, from_left);
    return;
  }
  Service* svc = c.svc;
  int db = c.db_index;
  int home = c.worker->id();
  c.worker->Send(ds, [=] {
    CmdCtx d;
    d.svc = svc;
    d.worker = Worker::Current();
    d.db_index = db;
    d.now_ms = NowUnixMs();
    if (PushHere(d, dst, v, to_left)) return;
    d.worker->Send(home, [=] {
      CmdCtx s = d;
      s.worker = Worker::Current();
      PushHere(s, src, v, from_left);
    });
  });
}

// A blocking pop waiter: BLPOP/BRPOP (count 0 = single element reply) and BLMPOP.
std::string ListTypeError(CmdCtx& c, std::string_view key) {
  KeyEntry* e = c.db().Find(key, c.now_ms);
  if (e && e->value.type() != ValueType::kList) return std::string(err::kWrongType);
  return std::string();
}

BlockTicket* PopTicket(bool left, int64_t count, bool mpop) {
  auto* t = new BlockTicket;
  t->ready = ListReady;
  t->first_error = ListTypeError;
  t->serve = [left, count, mpop](CmdCtx& c, std::string_view key, std::string* out) {
    ReplyBuilder rb(out, 2);
    ListObject* l = ListAt(c, key);
    rb.ArrayHeader(2);
    rb.Bulk(key);
    if (mpop) {
      size_t n = std::min<size_t>(static_cast<size_t>(count), l->size());
      rb.ArrayHeader(static_cast<int64_t>(n));
      for (size_t i = 0; i < n; ++i) rb.Bulk(left ? l->PopFront() : l->PopBack());
    } else {
      rb.Bulk(left ? l->PopFront() : l->PopBack());
    }
    NotifyKeyspaceEvent(c, kNotifyList, left ? "lpop" : "rpop", key);
    if (l->size() == 0) {
      c.db().Erase(key);
      NotifyKeyspaceEvent(c, kNotifyGeneric, "del", key);
    }
  };
  return t;
}

BlockTicket* MoveTicket(std::string src, std::string dst, bool from_left, bool to_left) {
  auto* t = new BlockTicket;
  t->first_error = [dst](CmdCtx& c, std::string_view key) {
    std::string e = ListTypeError(c, key);
    if (!e.empty() || !ListReady(c, key)) return e;
    if (c.svc->engine().ShardOf(dst) == c.worker->id()) return ListTypeError(c, dst);
    return std::string();
  };
  t->ready = [dst](CmdCtx& c, std::string_view key) {
    if (!ListReady(c, key)) return false;
    // A destination of another type on this shard: stay blocked, as Redis does not pop then.
    if (c.svc->engine().ShardOf(dst) == c.worker->id()) {
      KeyEntry* d = c.db().Find(dst, c.now_ms);
      if (d && d->value.type() != ValueType::kList) return false;
    }
    return true;
  };
  t->serve = [src, dst, from_left, to_left](CmdCtx& c, std::string_view key, std::string* out) {
    ListObject* l = ListAt(c, key);
    std::string v = from_left ? l->PopFront() : l->PopBack();
    NotifyKeyspaceEvent(c, kNotifyList, from_left ? "lpop" : "rpop", key);
    if (l->size() == 0) {
      c.db().Erase(key);
      NotifyKeyspaceEvent(c, kNotifyGeneric, "del", key);
    }
    ReplyBuilder rb(out, 2);
    rb.Bulk(v);
    PushAnywhere(c, src, dst, std::move(v), from_left, to_left);
  };
  t->keys.push_back(std::move(src));
  t->relay_key = dst;
  return t;
}

// First attempt (in key order, on each key's shard), then block. All keys on this shard is the
// common case and happens inline.
void TryThenBlock(CmdCtx& ctx, BlockTicket* t, int64_t deadline) {
  t->deadline_ms = deadline;
  BlockClient(ctx, t);
}

bool ParseWhere(std::string_view s, bool* left) {
  if (EqualsIgnoreCase(s, "left")) return *left = true, true;
  if (EqualsIgnoreCase(s, "right")) return *left = false, true;
  return false;
}

void BPop(CmdArgs args, CmdCtx& ctx, bool left) {
  int64_t deadline;
  std::string error;
  if (!ParseBlockTimeout(args.back(), ctx.now_ms, &deadline, &error)) {
    ctx.rb->Error(error);
    return;
  }
  BlockTicket* t = PopTicket(left, 1, false);
  for (size_t i = 1; i + 1 < args.size(); ++i) t->keys.emplace_back(args[i]);
  TryThenBlock(ctx, t, deadline);
}

void CmdBLPop(CmdArgs a, CmdCtx& c) { BPop(a, c, true); }
void CmdBRPop(CmdArgs a, CmdCtx& c) { BPop(a, c, false); }

void CmdBLMPop(CmdArgs args, CmdCtx& ctx) {
  int64_t deadline;
  std::string error;
  if (!ParseBlockTimeout(args[1], ctx.now_ms, &deadline, &error)) {
    ctx.rb->Error(error);
    return;
  }
  std::vector<std::string_view> keys;
  bool left;
  int64_t count;
  if (!ParseMPop(args, 2, &keys, &left, &count, &error)) {
    ctx.rb->Error(error);
    return;
  }
  BlockTicket* t = PopTicket(left, count, true);
  for (auto k : keys) t->keys.emplace_back(k);
  TryThenBlock(ctx, t, deadline);
}

void CmdBLMove(CmdArgs args, CmdCtx& ctx) {
  bool from_left, to_left;
  if (!ParseWhere(args[3], &from_left) || !ParseWhere(args[4], &to_left)) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  int64_t deadline;
  std::string error;
  if (!ParseBlockTimeout(args[5], ctx.now_ms, &deadline, &error)) {
    ctx.rb->Error(error);
    return;
  }
  TryThenBlock(ctx, MoveTicket(std::string(args[1]), std::string(args[2]), from_left, to_left),
               deadline);
}

void CmdBRPopLPush(CmdArgs args, CmdCtx& ctx) {
  int64_t deadline;
  std::string error;
  if (!ParseBlockTimeout(args[3], ctx.now_ms, &deadline, &error)) {
    ctx.rb->Error(error);
    return;
  }
  TryThenBlock(ctx, MoveTicket(std::string(args[1]), std::string(args[2]), false, true), deadline);
}

void BLMPopKeys(CmdArgs args, std::vector<size_t>* out) { MPopKeys(args, 2, out); }

}  // namespace

void RegisterListBlockingCommands(Service& svc) {
  const uint32_t kB = kCmdWrite | kCmdBlocking | kCmdConn;
  CommandSpec blmpop = Cmd("blmpop", -5, kB, 0, 0, 0, "write list slow blocking", CmdBLMPop);
  blmpop.getkeys = BLMPopKeys;
  svc.Register({
      Cmd("blpop", -3, kB, 1, -2, 1, "write list slow blocking", CmdBLPop),
      Cmd("brpop", -3, kB, 1, -2, 1, "write list slow blocking", CmdBRPop),
      Cmd("blmove", 6, kB | kCmdDenyOom, 1, 2, 1, "write list slow blocking", CmdBLMove),
      Cmd("brpoplpush", 4, kB | kCmdDenyOom, 1, 2, 1, "write list slow blocking", CmdBRPopLPush),
      blmpop,
  });
  Engine& eng = svc.engine();
  Service* sp = &svc;
  for (int i = 0; i < eng.size(); ++i) {
    eng.worker(i).loop().AddTimer(10, [sp] { CheckBlockedClients(sp, NowUnixMs()); });
  }
}

}  // namespace kora
