// Key deadlines: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL EXPIRETIME
// PEXPIRETIME, PERSIST. Deadlines are absolute Unix milliseconds (KeyEntry::expire_at).
#include <climits>

#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/family_util.h"
#include "commands/key_family.h"
#include "commands/service.h"

namespace kora {
namespace {

enum ExpireFlag : int { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// Redis's parseExtendedExpireArgumentsOrReply.
bool ParseExpireFlags(CmdArgs args, CmdCtx& ctx, int* flags) {
  *flags = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    std::string_view opt = args[j];
    if (EqualsIgnoreCase(opt, "nx")) {
      *flags |= kNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      *flags |= kXx;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      *flags |= kGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      *flags |= kLt;
    } else {
      // addReplyErrorFormat("%s"): stops at a NUL, turns CR and LF into spaces.
      std::string msg = "ERR Unsupported option ";
      for (char ch : opt) {
        if (ch == '\0') break;
        msg.push_back(ch == '\r' || ch == '\n' ? ' ' : ch);
      }
      ctx.rb->Error(msg);
      return false;
    }
  }
  if ((*flags & kNx) && (*flags & (kXx | kGt | kLt))) {
    ctx.rb->Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((*flags & kGt) && (*flags & kLt)) {
    ctx.rb->Error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  return true;
}

void ReplyInvalidExpire(CmdCtx& ctx) {
  ctx.rb->Error("ERR invalid expire time in '" + ctx.spec->name + "' command");
}

// Redis's expireGenericCommand: `basetime` is added to the argument (0 for the *AT forms).
void ExpireGeneric(CmdArgs args, CmdCtx& ctx, int64_t basetime, bool seconds) {
  int flags;
  if (!ParseExpireFlags(args, ctx, &flags)) return;
  int64_t when;
  if (!ParseInt64(args[2], &when)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  if (seconds) {
    if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) return ReplyInvalidExpire(ctx);
    when *= 1000;
  }
  if (when > LLONG_MAX - basetime) return ReplyInvalidExpire(ctx);
  when += basetime;

  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  int64_t current = e->expire_at != 0 ? e->expire_at : -1;
  if ((flags & kNx) && current != -1) return ctx.rb->Integer(0);
  if ((flags & kXx) && current == -1) return ctx.rb->Integer(0);
  // GT treats "no deadline" as infinite, so it always fails on a persistent key.
  if ((flags & kGt) && (when <= current || current == -1)) return ctx.rb->Integer(0);
  if ((flags & kLt) && current != -1 && when >= current) return ctx.rb->Integer(0);

  if (when <= ctx.now_ms) {
    db.Erase(e);  // a deadline in the past deletes the key (Redis: checkAlreadyExpired)
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  } else {
    db.SetExpire(e, when);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", args[1]);
  }
  ctx.rb->Integer(1);
}

void CmdExpire(CmdArgs args, CmdCtx& ctx) { ExpireGeneric(args, ctx, ctx.now_ms, true); }
void CmdPexpire(CmdArgs args, CmdCtx& ctx) { ExpireGeneric(args, ctx, ctx.now_ms, false); }
void CmdExpireat(CmdArgs args, CmdCtx& ctx) { ExpireGeneric(args, ctx, 0, true); }
void CmdPexpireat(CmdArgs args, CmdCtx& ctx) { ExpireGeneric(args, ctx, 0, false); }

// Redis's ttlGenericCommand: -2 missing, -1 no deadline; seconds are rounded.
void TtlGeneric(CmdArgs args, CmdCtx& ctx, bool in_ms, bool absolute) {
  KeyEntry* e = ctx.db().Peek(args[1], ctx.now_ms);
  if (!e) {
    ++ctx.shard().stats().keyspace_misses;
    ctx.rb->Integer(-2);
    return;
  }
  ++ctx.shard().stats().keyspace_hits;
  if (e->expire_at == 0) {
    ctx.rb->Integer(-1);
    return;
  }
  int64_t ttl = absolute ? e->expire_at : e->expire_at - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  // (ttl + 500) / 1000 without overflow for deadlines near INT64_MAX (as Redis answers).
  int64_t secs = static_cast<int64_t>((static_cast<uint64_t>(ttl) + 500) / 1000);
  ctx.rb->Integer(in_ms ? ttl : secs);
}

void CmdTtl(CmdArgs args, CmdCtx& ctx) { TtlGeneric(args, ctx, false, false); }
void CmdPttl(CmdArgs args, CmdCtx& ctx) { TtlGeneric(args, ctx, true, false); }
void CmdExpiretime(CmdArgs args, CmdCtx& ctx) { TtlGeneric(args, ctx, false, true); }
void CmdPexpiretime(CmdArgs args, CmdCtx& ctx) { TtlGeneric(args, ctx, true, true); }

void CmdPersist(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  if (!e || e->expire_at == 0) {
    ctx.rb->Integer(0);
    return;
  }
  db.ClearExpire(e);
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "persist", args[1]);
  ctx.rb->Integer(1);
}

}  // namespace

std::vector<CommandSpec> KeyExpireCommands() {
  const uint32_t wf = kCmdWrite | kCmdFast;
  const uint32_t rf = kCmdReadOnly | kCmdFast;
  const char* kWrite = "keyspace write fast";
  const char* kRead = "keyspace read fast";
  return {
      Cmd("expire", -3, wf, 1, 1, 1, kWrite, CmdExpire),
      Cmd("pexpire", -3, wf, 1, 1, 1, kWrite, CmdPexpire),
      Cmd("expireat", -3, wf, 1, 1, 1, kWrite, CmdExpireat),
      Cmd("pexpireat", -3, wf, 1, 1, 1, kWrite, CmdPexpireat),
      Cmd("ttl", 2, rf, 1, 1, 1, kRead, CmdTtl),
      Cmd("pttl", 2, rf, 1, 1, 1, kRead, CmdPttl),
      Cmd("expiretime", 2, rf, 1, 1, 1, kRead, CmdExpiretime),
      Cmd("pexpiretime", 2, rf, 1, 1, 1, kRead, CmdPexpiretime),
      Cmd("persist", 2, wf, 1, 1, 1, kWrite, CmdPersist),
  };
}

}  // namespace kora
