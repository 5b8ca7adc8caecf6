// RENAME RENAMENX COPY MOVE.
//
// When both keys live on one shard the handler moves the entry inside the shard (MOVE and
// COPY ... DB n: between two of its tables). When they live on two shards the coordinator
// hops, holding the connection's barrier so its later commands wait:
//   RENAME    1. source shard: detach the value and its absolute deadline ("no such key")
//             2. destination shard: insert, replacing what was there
//   RENAMENX  2. destination shard: insert only if absent, else hand the value back
//             3. (only then) source shard: reinsert it unless the key was recreated meanwhile
//   COPY      1. source shard: clone value and deadline    2. destination: insert (REPLACE)
// The value travels as a shared_ptr because RunOnShards copies the per-shard function.
#include "base/clock.h"
#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/family_util.h"
#include "commands/key_family.h"
#include "commands/service.h"

namespace kora {
namespace {

constexpr std::string_view kSameObject = "ERR source and destination objects are the same";

// A key's value and deadline travelling from one shard to another.
struct Moved {
  bool found = false;
  std::shared_ptr<Value> value;
  int64_t expire_at = 0;  // absolute; 0 = none
  uint32_t access_time = 0;
  uint8_t lfu_counter = kLfuInitVal;
  bool keep_clock = false;  // a renamed key keeps its access clock, a copy starts fresh
};

// Source-shard phase: detaches (RENAME) or clones (COPY) `key`.
Moved TakeKey(CmdCtx& c, const std::string& key, bool clone) {
  Moved m;
  DbTable& db = c.db();
  KeyEntry* e = db.Find(key, c.now_ms);
  if (clone) ++(e ? c.shard().stats().keyspace_hits : c.shard().stats().keyspace_misses);
  if (!e) return m;
  m.found = true;
  m.expire_at = e->expire_at;
  m.access_time = e->access_time;
  m.lfu_counter = e->lfu_counter;
  m.keep_clock = !clone;
  if (clone) {
    m.value = std::make_shared<Value>(e->value.Clone());
  } else {
    m.value = std::make_shared<Value>(std::move(e->value));
    db.Erase(e);
  }
  return m;
}

// Destination-shard phase: links the travelling value under `key` (absent in `db`).
void PutKey(DbTable& db, const std::string& key, const Moved& m) {
  KeyEntry* e = db.Insert(key, std::move(*m.value));
  if (m.keep_clock) {
    e->access_time = m.access_time;
    e->lfu_counter = m.lfu_counter;
  }
  if (m.expire_at != 0) db.SetExpire(e, m.expire_at);
}

// The context for a coordinator's next hop, back on the coordinator's worker.
CmdCtx NextHop(const CmdCtx& base) {
  CmdCtx c = base;
  c.worker = Worker::Current();
  c.now_ms = NowUnixMs();
  c.rb = nullptr;
  return c;
}

// ---- RENAME / RENAMENX

void RenameGeneric(CmdArgs args, CmdCtx& ctx, bool nx) {
  DbTable& db = ctx.db();
  KeyEntry* src = db.Find(args[1], ctx.now_ms);
  if (!src) return ctx.rb->Error(err::kNoSuchKey);
  if (args[1] == args[2]) return nx ? ctx.rb->Integer(0) : ctx.rb->Ok();
  if (KeyEntry* dst = db.Find(args[2], ctx.now_ms)) {
    if (nx) return ctx.rb->Integer(0);
    db.Erase(dst);
  }
  int64_t expire_at = src->expire_at;
  db.Detach(src);
  src->key.assign(args[2]);
  db.Attach(src, expire_at);
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "rename_from", args[1]);
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "rename_to", args[2]);
  nx ? ctx.rb->Integer(1) : ctx.rb->Ok();
}

void CmdRename(CmdArgs args, CmdCtx& ctx) { RenameGeneric(args, ctx, false); }
void CmdRenamenx(CmdArgs args, CmdCtx& ctx) { RenameGeneric(args, ctx, true); }

// Phase 3 of a RENAMENX whose destination existed: the value goes home.
void GiveBack(const CmdCtx& base, int shard, std::string key, Moved m, PendingReply* pending) {
  CmdCtx c = NextHop(base);
  c.svc->RunOnShards<bool>(
      c, {shard},
      [key, m](CmdCtx& s) {
        // A key recreated meanwhile was written after us: it wins.
        if (!s.db().Peek(key, s.now_ms)) PutKey(s.db(), key, m);
        return true;
      },
      [pending](std::vector<bool>&) { pending->Finish([](ReplyBuilder& rb) { rb.Integer(0); }); });
}

void MultiRenameGeneric(CmdArgs args, CmdCtx& ctx, bool nx) {
  Engine& eng = ctx.svc->engine();
  int src_shard = eng.ShardOf(args[1]);
  int dst_shard = eng.ShardOf(args[2]);
  std::string src(args[1]), dst(args[2]);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  CmdCtx base = ctx;
  ctx.svc->RunOnShards<Moved>(
      ctx, {src_shard}, [src](CmdCtx& c) { return TakeKey(c, src, /*clone=*/false); },
      [=](std::vector<Moved>& taken) {
        if (!taken[0].found) {
          return pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kNoSuchKey); });
        }
        CmdCtx c = NextHop(base);
        Moved m = std::move(taken[0]);
        c.svc->RunOnShards<bool>(
            c, {dst_shard},
            [src, dst, m, nx](CmdCtx& s) {
              DbTable& db = s.db();
              if (KeyEntry* e = db.Find(dst, s.now_ms)) {
                if (nx) return false;
                db.Erase(e);
              }
              PutKey(db, dst, m);
              // Both events from here: a RENAMENX that fails must raise neither.
              NotifyKeyspaceEvent(s, kNotifyGeneric, "rename_from", src);
              NotifyKeyspaceEvent(s, kNotifyGeneric, "rename_to", dst);
              return true;
            },
            [=](std::vector<bool>& put) {
              if (!put[0]) return GiveBack(base, src_shard, src, m, pending);
              pending->Finish([nx](ReplyBuilder& rb) { nx ? rb.Integer(1) : rb.Ok(); });
            });
      });
}

void MultiRename(CmdArgs args, CmdCtx& ctx) { MultiRenameGeneric(args, ctx, false); }
void MultiRenamenx(CmdArgs args, CmdCtx& ctx) { MultiRenameGeneric(args, ctx, true); }

// ---- COPY

struct CopyOptions {
  int db = -1;  // -1: the current one
  bool replace = false;
};

// Redis's copyCommand argument loop; returns "" or the error text.
std::string ParseCopy(CmdArgs args, CopyOptions* o) {
  for (size_t j = 3; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "replace")) {
      o->replace = true;
    } else if (EqualsIgnoreCase(args[j], "db") && j + 1 < args.size()) {
      std::string e = ParseIntArg(args[j + 1], &o->db);
      if (!e.empty()) return e;
      if (o->db < 0 || o->db >= kNumDatabases) return std::string(err::kDbIndex);
      ++j;
    } else {
      return std::string(err::kSyntax);
    }
  }
  return "";
}

// Destination phase of COPY: 1 when copied, 0 when the key exists and REPLACE is absent.
int64_t OpCopyInto(DbTable& db, const std::string& key, const Moved& m, bool replace,
                   int64_t now_ms) {
  if (KeyEntry* e = db.Find(key, now_ms)) {
    if (!replace) return 0;
    db.Erase(e);
  }
  PutKey(db, key, m);
  return 1;
}

void CmdCopy(CmdArgs args, CmdCtx& ctx) {
  CopyOptions o;
  if (std::string e = ParseCopy(args, &o); !e.empty()) return ctx.rb->Error(e);
  int dst_db = o.db < 0 ? ctx.db_index : o.db;
  if (dst_db == ctx.db_index && args[1] == args[2]) return ctx.rb->Error(kSameObject);
  KeyEntry* src = ctx.db().Find(args[1], ctx.now_ms);
  ++(src ? ctx.shard().stats().keyspace_hits : ctx.shard().stats().keyspace_misses);
  if (!src) return ctx.rb->Integer(0);
  DbTable& db = ctx.shard().db(dst_db);
  KeyEntry* dst = db.Find(args[2], ctx.now_ms);
  if (dst && !o.replace) return ctx.rb->Integer(0);
  Value copy = src->value.Clone();
  int64_t expire_at = src->expire_at;
  if (dst) db.Erase(dst);
  KeyEntry* e = db.Insert(args[2], std::move(copy));
  if (expire_at != 0) db.SetExpire(e, expire_at);
  NotifyKeyspaceEventDb(ctx, dst_db, kNotifyGeneric, "copy_to", args[2]);
  ctx.rb->Integer(1);
}

void MultiCopy(CmdArgs args, CmdCtx& ctx) {
  CopyOptions o;
  if (std::string e = ParseCopy(args, &o); !e.empty()) return ctx.conn->Reply().Error(e);
  int dst_db = o.db < 0 ? ctx.db_index : o.db;
  Engine& eng = ctx.svc->engine();
  int src_shard = eng.ShardOf(args[1]);
  int dst_shard = eng.ShardOf(args[2]);
  std::string src(args[1]), dst(args[2]);
  bool replace = o.replace;
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  CmdCtx base = ctx;
  ctx.svc->RunOnShards<Moved>(
      ctx, {src_shard}, [src](CmdCtx& c) { return TakeKey(c, src, /*clone=*/true); },
      [=](std::vector<Moved>& taken) {
        if (!taken[0].found) return pending->Finish([](ReplyBuilder& rb) { rb.Integer(0); });
        CmdCtx c = NextHop(base);
        Moved m = std::move(taken[0]);
        c.svc->RunOnShards<int64_t>(
            c, {dst_shard},
            [dst, m, replace, dst_db](CmdCtx& s) {
              int64_t n = OpCopyInto(s.shard().db(dst_db), dst, m, replace, s.now_ms);
              if (n) NotifyKeyspaceEventDb(s, dst_db, kNotifyGeneric, "copy_to", dst);
              return n;
            },
            [pending](std::vector<int64_t>& r) {
              int64_t n = r[0];
              pending->Finish([n](ReplyBuilder& rb) { rb.Integer(n); });
            });
      });
}

// ---- MOVE (one key: always one shard, two of its tables)

void CmdMove(CmdArgs args, CmdCtx& ctx) {
  int dbid;
  if (std::string e = ParseIntArg(args[2], &dbid); !e.empty()) return ctx.rb->Error(e);
  if (dbid < 0 || dbid >= kNumDatabases) return ctx.rb->Error(err::kDbIndex);
  if (dbid == ctx.db_index) return ctx.rb->Error(kSameObject);
  DbTable& src = ctx.db();
  KeyEntry* e = src.Find(args[1], ctx.now_ms);
  if (!e) return ctx.rb->Integer(0);
  DbTable& dst = ctx.shard().db(dbid);
  if (dst.Find(args[1], ctx.now_ms)) return ctx.rb->Integer(0);
  int64_t expire_at = e->expire_at;
  src.Detach(e);
  dst.Attach(e, expire_at);
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "move_from", args[1]);
  NotifyKeyspaceEventDb(ctx, dbid, kNotifyGeneric, "move_to", args[1]);
  ctx.rb->Integer(1);
}

}  // namespace

std::vector<CommandSpec> KeyRenameCommands() {
  return {
      Cmd("rename", 3, kCmdWrite, 1, 2, 1, "keyspace write slow", CmdRename, MultiRename),
      Cmd("renamenx", 3, kCmdWrite | kCmdFast, 1, 2, 1, "keyspace write fast", CmdRenamenx,
          MultiRenamenx),
      Cmd("copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, 1, "keyspace write slow", CmdCopy, MultiCopy),
      Cmd("move", 3, kCmdWrite | kCmdFast, 1, 1, 1, "keyspace write fast", CmdMove),
  };
}

}  // namespace kora
