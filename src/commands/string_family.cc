// String commands: GET and the SET family (SET SETNX SETEX PSETEX GETSET GETDEL GETEX).
// The other string commands live in string_number.cc, string_range.cc, string_multi.cc and
// string_lcs.cc; RegisterStringFamily joins their rows.
#include "commands/notify.h"
#include "commands/families.h"
#include "commands/string_util.h"

namespace kora {
namespace {

// Option flags of SET and GETEX (Redis's OBJ_* flags of parseExtendedStringArgumentsOrReply).
enum ExtFlag : uint32_t {
  kNx = 1 << 0,
  kXx = 1 << 1,
  kEx = 1 << 2,
  kPx = 1 << 3,
  kKeepTtl = 1 << 4,
  kGet = 1 << 5,
  kExAt = 1 << 6,
  kPxAt = 1 << 7,
  kPersist = 1 << 8,
};
constexpr uint32_t kAnyExpire = kEx | kPx | kExAt | kPxAt;

struct ExtArgs {
  uint32_t flags = 0;
  std::string_view expire;  // the EX/PX/EXAT/PXAT argument when flags has one of them
  bool ms_unit = false;     // PX and PXAT
};

// Redis compares options as C strings: an argument with a NUL byte ends there.
std::string_view CStr(std::string_view a) { return a.substr(0, a.find('\0')); }

// Parses SET options from argv[3] (is_set) or GETEX options from argv[2], with Redis's exact
// acceptance rules: conflicting options are a syntax error, repeating one is allowed.
bool ParseExtArgs(CmdArgs args, bool is_set, ExtArgs* out, ReplyBuilder* rb) {
  uint32_t& f = out->flags;
  for (size_t j = is_set ? 3 : 2; j < args.size(); ++j) {
    std::string_view opt = CStr(args[j]);
    bool has_next = j + 1 < args.size();
    if (is_set && EqualsIgnoreCase(opt, "nx") && !(f & kXx)) {
      f |= kNx;
    } else if (is_set && EqualsIgnoreCase(opt, "xx") && !(f & kNx)) {
      f |= kXx;
    } else if (is_set && EqualsIgnoreCase(opt, "get")) {
      f |= kGet;
    } else if (is_set && EqualsIgnoreCase(opt, "keepttl") && !(f & (kPersist | kAnyExpire))) {
      f |= kKeepTtl;
    } else if (!is_set && EqualsIgnoreCase(opt, "persist") && !(f & (kAnyExpire | kKeepTtl))) {
      f |= kPersist;
    } else if (EqualsIgnoreCase(opt, "ex") && has_next &&
               !(f & (kKeepTtl | kPersist | kExAt | kPx | kPxAt))) {
      f |= kEx;
      out->expire = args[++j];
    } else if (EqualsIgnoreCase(opt, "px") && has_next &&
               !(f & (kKeepTtl | kPersist | kEx | kExAt | kPxAt))) {
      f |= kPx;
      out->ms_unit = true;
      out->expire = args[++j];
    } else if (EqualsIgnoreCase(opt, "exat") && has_next &&
               !(f & (kKeepTtl | kPersist | kEx | kPx | kPxAt))) {
      f |= kExAt;
      out->expire = args[++j];
    } else if (EqualsIgnoreCase(opt, "pxat") && has_next &&
               !(f & (kKeepTtl | kPersist | kEx | kExAt | kPx))) {
      f |= kPxAt;
      out->ms_unit = true;
      out->expire = args[++j];
    } else {
      rb->Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// Redis's getExpireMillisecondsOrReply: the absolute deadline in ms, or an error reply.
bool ExpireDeadline(CmdCtx& ctx, std::string_view arg, uint32_t flags, bool ms_unit,
                    int64_t* at_ms) {
  int64_t v;
  if (!ParseIntOrReply(arg, &v, ctx.rb)) return false;
  bool bad = v <= 0 || (!ms_unit && v > INT64_MAX / 1000);
  if (!bad) {
    if (!ms_unit) v *= 1000;
    if ((flags & (kEx | kPx)) && __builtin_add_overflow(v, ctx.now_ms, &v)) bad = true;
  }
  if (bad || v <= 0) {
    ctx.rb->Error("ERR invalid expire time in '" + ctx.spec->name + "' command");
    return false;
  }
  *at_ms = v;
  return true;
}

// Replies with the string at `e` (GET semantics), counting the hit or miss. False (after a
// WRONGTYPE reply) when the key holds another type.
bool ReplyGet(CmdCtx& ctx, KeyEntry* e) {
  if (e == nullptr) {
    ++ctx.shard().stats().keyspace_misses;
    ctx.rb->Null();
    return true;
  }
  ++ctx.shard().stats().keyspace_hits;
  if (!e->value.is_string()) {
    ctx.rb->Error(err::kWrongType);
    return false;
  }
  IntDigits d;
  ctx.rb->Bulk(StrBytes(e->value, &d));
  return true;
}

// Which replies SET-like commands give when they set (ok) or skip because of NX/XX (abort).
enum class SetReply { kOkNil, kOneZero };

// Redis's setGenericCommand. `expire` is empty when no deadline is given.
void SetGeneric(CmdCtx& ctx, std::string_view key, std::string_view val, const ExtArgs& ext,
                SetReply kind) {
  uint32_t flags = ext.flags;
  bool has_expire = (flags & kAnyExpire) != 0;
  int64_t at_ms = 0;
  if (has_expire && !ExpireDeadline(ctx, ext.expire, flags, ext.ms_unit, &at_ms)) return;
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(key, ctx.now_ms);
  if ((flags & kGet) && !ReplyGet(ctx, e)) return;
  if (((flags & kNx) && e) || ((flags & kXx) && !e)) {
    if (!(flags & kGet)) kind == SetReply::kOkNil ? ctx.rb->Null() : ctx.rb->Integer(0);
    return;
  }
  if (e) {
    e->value.AssignString(val);
    if (!(flags & kKeepTtl) && !has_expire) db.ClearExpire(e);
  } else {
    e = db.Insert(key, Value::String(val));
  }
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", key);
  if (has_expire) {
    db.SetExpire(e, at_ms);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", key);
  }
  if (!(flags & kGet)) kind == SetReply::kOkNil ? ctx.rb->Ok() : ctx.rb->Integer(1);
}

void CmdGet(CmdArgs args, CmdCtx& ctx) { ReplyGet(ctx, ctx.db().Find(args[1], ctx.now_ms)); }

void CmdSet(CmdArgs args, CmdCtx& ctx) {
  if (args.size() == 3) {  // plain SET: the hot path
    DbTable& db = ctx.db();
    KeyEntry* e = db.Find(args[1], ctx.now_ms);
    if (e) {
      db.ClearExpire(e);
      e->value.AssignString(args[2]);
    } else {
      db.Insert(args[1], Value::String(args[2]));
    }
    NotifyKeyspaceEvent(ctx, kNotifyString, "set", args[1]);
    ctx.rb->Ok();
    return;
  }
  ExtArgs ext;
  if (!ParseExtArgs(args, true, &ext, ctx.rb)) return;
  SetGeneric(ctx, args[1], args[2], ext, SetReply::kOkNil);
}

void CmdSetNx(CmdArgs args, CmdCtx& ctx) {
  ExtArgs ext;
  ext.flags = kNx;
  SetGeneric(ctx, args[1], args[2], ext, SetReply::kOneZero);
}

void CmdSetEx(CmdArgs args, CmdCtx& ctx) {
  ExtArgs ext;
  ext.flags = kEx;
  ext.expire = args[2];
  SetGeneric(ctx, args[1], args[3], ext, SetReply::kOkNil);
}

void CmdPSetEx(CmdArgs args, CmdCtx& ctx) {
  ExtArgs ext;
  ext.flags = kPx;
  ext.ms_unit = true;
  ext.expire = args[2];
  SetGeneric(ctx, args[1], args[3], ext, SetReply::kOkNil);
}

void CmdGetSet(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  if (!ReplyGet(ctx, e)) return;
  if (e) {
    e->value.AssignString(args[2]);
    db.ClearExpire(e);
  } else {
    db.Insert(args[1], Value::String(args[2]));
  }
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", args[1]);
}

void CmdGetDel(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  if (!ReplyGet(ctx, e)) return;
  if (e) {
    db.Erase(e);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  }
}

void CmdGetEx(CmdArgs args, CmdCtx& ctx) {
  ExtArgs ext;
  if (!ParseExtArgs(args, false, &ext, ctx.rb)) return;
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  if (e == nullptr) {
    ++ctx.shard().stats().keyspace_misses;
    ctx.rb->Null();
    return;
  }
  ++ctx.shard().stats().keyspace_hits;
  if (!e->value.is_string()) {
    ctx.rb->Error(err::kWrongType);
    return;
  }
  bool has_expire = (ext.flags & kAnyExpire) != 0;
  int64_t at_ms = 0;
  if (has_expire && !ExpireDeadline(ctx, ext.expire, ext.flags, ext.ms_unit, &at_ms)) return;
  IntDigits d;
  ctx.rb->Bulk(StrBytes(e->value, &d));
  if ((ext.flags & (kExAt | kPxAt)) && at_ms <= ctx.now_ms) {
    db.Erase(e);  // an absolute deadline already in the past deletes the key
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  } else if (has_expire) {
    db.SetExpire(e, at_ms);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "expire", args[1]);
  } else if ((ext.flags & kPersist) && e->expire_at != 0) {
    db.ClearExpire(e);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "persist", args[1]);
  }
}

}  // namespace

std::vector<CommandSpec> StringSetCommands() {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  return {
      Cmd("get", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "read string fast", CmdGet),
      Cmd("set", -3, kW, 1, 1, 1, "write string slow", CmdSet),
      Cmd("setnx", 3, kW | kCmdFast, 1, 1, 1, "write string fast", CmdSetNx),
      Cmd("setex", 4, kW, 1, 1, 1, "write string slow", CmdSetEx),
      Cmd("psetex", 4, kW, 1, 1, 1, "write string slow", CmdPSetEx),
      Cmd("getset", 3, kW | kCmdFast, 1, 1, 1, "write string fast", CmdGetSet),
      Cmd("getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1, "write string fast", CmdGetDel),
      Cmd("getex", -2, kCmdWrite | kCmdFast, 1, 1, 1, "write string fast", CmdGetEx),
  };
}

void RegisterStringFamily(Service& svc) {
  std::vector<CommandSpec> rows;
  for (auto part : {StringSetCommands, StringNumberCommands, StringRangeCommands,
                    StringMultiCommands, StringLcsCommands}) {
    for (auto& row : part()) rows.push_back(std::move(row));
  }
  svc.Register(std::move(rows));
}

}  // namespace kora
