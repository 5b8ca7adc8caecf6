// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM
// LPOS LMOVE RPOPLPUSH LMPOP. Blocking forms live in list_blocking.cc.
#include "commands/notify.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/list_util.h"
#include "commands/service.h"
#include "base/strutil.h"

namespace kora {

ListObject* FindList(CmdCtx& ctx, std::string_view key, bool* wrong) {
  KeyEntry* e = FindTyped(ctx, key, ValueType::kList, wrong);
  if (e == nullptr) return nullptr;
  return e->value.As<ListObject>();
}

ListObject* FindOrCreateList(CmdCtx& ctx, std::string_view key, bool* wrong) {
  KeyEntry* e = FindTyped(ctx, key, ValueType::kList, wrong);
  if (*wrong) return nullptr;
  if (e == nullptr) e = ctx.db().Insert(key, Value::Collection(std::make_unique<ListObject>()));
  return e->value.As<ListObject>();
}

void DeleteIfEmpty(CmdCtx& ctx, std::string_view key, ListObject* l) {
  if (l->size() == 0) {
    ctx.db().Erase(key);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
  }
}

namespace {

// Normalises a Redis [start, stop] range over `len`; false when empty.
bool NormaliseRange(int64_t start, int64_t stop, size_t len, size_t* s, size_t* e) {
  int64_t n = static_cast<int64_t>(len);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return false;
  if (stop >= n) stop = n - 1;
  *s = static_cast<size_t>(start);
  *e = static_cast<size_t>(stop);
  return true;
}

void PushGeneric(CmdArgs args, CmdCtx& ctx, bool front, bool only_existing) {
  bool wrong;
  ListObject* l = only_existing ? FindList(ctx, args[1], &wrong) : FindOrCreateList(ctx, args[1], &wrong);
  if (wrong) return;
  if (l == nullptr) {
    ctx.rb->Integer(0);
    return;
  }
  for (size_t i = 2; i < args.size(); ++i) front ? l->PushFront(args[i]) : l->PushBack(args[i]);
  ctx.rb->Integer(static_cast<int64_t>(l->size()));
  NotifyKeyspaceEvent(ctx, kNotifyList, front ? "lpush" : "rpush", args[1]);
  NotifyListPush(ctx, args[1]);
}

void CmdLPush(CmdArgs a, CmdCtx& c) { PushGeneric(a, c, true, false); }
void CmdRPush(CmdArgs a, CmdCtx& c) { PushGeneric(a, c, false, false); }
void CmdLPushX(CmdArgs a, CmdCtx& c) { PushGeneric(a, c, true, true); }
void CmdRPushX(CmdArgs a, CmdCtx& c) { PushGeneric(a, c, false, true); }

void PopGeneric(CmdArgs args, CmdCtx& ctx, bool front) {
  if (args.size() > 3) {
    ctx.rb->Error("ERR wrong number of arguments for '" + ctx.spec->name + "' command");
    return;
  }
  int64_t count = 0;
  bool has_count = args.size() == 3;
  if (has_count && (!ParseInt64(args[2], &count) || count < 0)) {
    ctx.rb->Error("ERR value is out of range, must be positive");
    return;
  }
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  if (l == nullptr) {
    ++ctx.shard().stats().keyspace_misses;
    has_count ? ctx.rb->NullArray() : ctx.rb->Null();
    return;
  }
  ++ctx.shard().stats().keyspace_hits;
  if (!has_count) {
    ctx.rb->Bulk(front ? l->PopFront() : l->PopBack());
  } else {
    if (count == 0) {
      ctx.rb->EmptyArray();
      return;
    }
    size_t n = std::min<size_t>(static_cast<size_t>(count), l->size());
    ctx.rb->ArrayHeader(static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) ctx.rb->Bulk(front ? l->PopFront() : l->PopBack());
  }
  NotifyKeyspaceEvent(ctx, kNotifyList, front ? "lpop" : "rpop", args[1]);
  DeleteIfEmpty(ctx, args[1], l);
}

void CmdLPop(CmdArgs a, CmdCtx& c) { PopGeneric(a, c, true); }
void CmdRPop(CmdArgs a, CmdCtx& c) { PopGeneric(a, c, false); }

void CmdLLen(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  ctx.rb->Integer(l ? static_cast<int64_t>(l->size()) : 0);
}

void CmdLRange(CmdArgs args, CmdCtx& ctx) {
  int64_t start, stop;
  if (!ParseInt64(args[2], &start) || !ParseInt64(args[3], &stop)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  size_t s, e;
  if (l == nullptr || !NormaliseRange(start, stop, l->size(), &s, &e)) {
    ctx.rb->EmptyArray();
    return;
  }
  ctx.rb->ArrayHeader(static_cast<int64_t>(e - s + 1));
  l->ForRange(s, e, [&](std::string_view v) { ctx.rb->Bulk(v); });
}

void CmdLIndex(CmdArgs args, CmdCtx& ctx) {
  int64_t idx;
  if (!ParseInt64(args[2], &idx)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  std::string v;
  if (l == nullptr || !l->Index(idx, &v)) {
    ctx.rb->Null();
    return;
  }
  ctx.rb->Bulk(v);
}

void CmdLSet(CmdArgs args, CmdCtx& ctx) {
  int64_t idx;
  if (!ParseInt64(args[2], &idx)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  if (l == nullptr) {
    ctx.rb->Error(err::kNoSuchKey);
    return;
  }
  if (!l->Set(idx, args[3])) {
    ctx.rb->Error(err::kIndexRange);
    return;
  }
  NotifyKeyspaceEvent(ctx, kNotifyList, "lset", args[1]);
  ctx.rb->Ok();
}

void CmdLInsert(CmdArgs args, CmdCtx& ctx) {
  bool before;
  if (EqualsIgnoreCase(args[2], "before")) {
    before = true;
  } else if (EqualsIgnoreCase(args[2], "after")) {
    before = false;
  } else {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  if (l == nullptr) {
    ctx.rb->Integer(0);
    return;
  }
  if (!l->Insert(args[3], args[4], before)) {
    ctx.rb->Integer(-1);
    return;
  }
  NotifyKeyspaceEvent(ctx, kNotifyList, "linsert", args[1]);
  ctx.rb->Integer(static_cast<int64_t>(l->size()));
}

void CmdLRem(CmdArgs args, CmdCtx& ctx) {
  int64_t count;
  if (!ParseInt64(args[2], &count)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  if (l == nullptr) {
    ctx.rb->Integer(0);
    return;
  }
  size_t n = l->Remove(args[3], count);
  ctx.rb->Integer(static_cast<int64_t>(n));
  if (n) NotifyKeyspaceEvent(ctx, kNotifyList, "lrem", args[1]);
  DeleteIfEmpty(ctx, args[1], l);
}

void CmdLTrim(CmdArgs args, CmdCtx& ctx) {
  int64_t start, stop;
  if (!ParseInt64(args[2], &start) || !ParseInt64(args[3], &stop)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  if (l != nullptr) {
    size_t s, e;
    if (NormaliseRange(start, stop, l->size(), &s, &e)) {
      l->Trim(s, e);
    } else {
      l->Trim(1, 0);
    }
    NotifyKeyspaceEvent(ctx, kNotifyList, "ltrim", args[1]);
    DeleteIfEmpty(ctx, args[1], l);
  }
  ctx.rb->Ok();
}

void CmdLPos(CmdArgs args, CmdCtx& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t i = 3; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) {
      ctx.rb->Error(err::kSyntax);
      return;
    }
    int64_t v;
    if (EqualsIgnoreCase(args[i], "rank")) {
      if (!ParseInt64(args[i + 1], &v)) {
        ctx.rb->Error(err::kNotInt);
        return;
      }
      if (v == 0) {
        ctx.rb->Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
      rank = v;
    } else if (EqualsIgnoreCase(args[i], "count")) {
      if (!ParseInt64(args[i + 1], &v)) {
        ctx.rb->Error(err::kNotInt);
        return;
      }
      if (v < 0) {
        ctx.rb->Error("ERR COUNT can't be negative");
        return;
      }
      count = v;
    } else if (EqualsIgnoreCase(args[i], "maxlen")) {
      if (!ParseInt64(args[i + 1], &v)) {
        ctx.rb->Error(err::kNotInt);
        return;
      }
      if (v < 0) {
        ctx.rb->Error("ERR MAXLEN can't be negative");
        return;
      }
      maxlen = v;
    } else {
      ctx.rb->Error(err::kSyntax);
      return;
    }
  }
  bool wrong;
  ListObject* l = FindList(ctx, args[1], &wrong);
  if (wrong) return;
  if (l == nullptr) {
    count >= 0 ? ctx.rb->EmptyArray() : ctx.rb->Null();
    return;
  }
  std::vector<int64_t> found;
  // Redis 7.0 negates RANK unchecked: the most negative value behaves like -1.
  int64_t want_skip = rank > 0 ? rank - 1 : (rank == INT64_MIN ? 0 : -rank - 1);
  int64_t limit = count < 0 ? 1 : count;  // COUNT 0: all matches
  int64_t scanned = 0;
  auto visit = [&](size_t idx, std::string_view v) {
    if (maxlen && scanned++ >= maxlen) return false;
    if (v == args[2]) {
      if (want_skip > 0) {
        --want_skip;
      } else {
        found.push_back(static_cast<int64_t>(idx));
        if (limit != 0 && static_cast<int64_t>(found.size()) >= limit) return false;
      }
    }
    return true;
  };
  rank > 0 ? l->ForEach(visit) : l->ForEachReverse(visit);
  if (count < 0) {
    found.empty() ? ctx.rb->Null() : ctx.rb->Integer(found[0]);
    return;
  }
  ctx.rb->ArrayHeader(static_cast<int64_t>(found.size()));
  for (int64_t f : found) ctx.rb->Integer(f);
}

}  // namespace

void RegisterListFamily(Service& svc) {
  const uint32_t kW = kCmdWrite | kCmdDenyOom | kCmdFast;
  const uint32_t kR = kCmdReadOnly;
  svc.Register({
      Cmd("lpush", -3, kW, 1, 1, 1, "write list fast", CmdLPush),
      Cmd("rpush", -3, kW, 1, 1, 1, "write list fast", CmdRPush),
      Cmd("lpushx", -3, kW, 1, 1, 1, "write list fast", CmdLPushX),
      Cmd("rpushx", -3, kW, 1, 1, 1, "write list fast", CmdRPushX),
      Cmd("lpop", -2, kCmdWrite | kCmdFast, 1, 1, 1, "write list fast", CmdLPop),
      Cmd("rpop", -2, kCmdWrite | kCmdFast, 1, 1, 1, "write list fast", CmdRPop),
      Cmd("llen", 2, kR | kCmdFast, 1, 1, 1, "read list fast", CmdLLen),
      Cmd("lrange", 4, kR, 1, 1, 1, "read list slow", CmdLRange),
      Cmd("lindex", 3, kR, 1, 1, 1, "read list slow", CmdLIndex),
      Cmd("lset", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, "write list slow", CmdLSet),
      Cmd("linsert", 5, kCmdWrite | kCmdDenyOom, 1, 1, 1, "write list slow", CmdLInsert),
      Cmd("lrem", 4, kCmdWrite, 1, 1, 1, "write list slow", CmdLRem),
      Cmd("ltrim", 4, kCmdWrite, 1, 1, 1, "write list slow", CmdLTrim),
      Cmd("lpos", -3, kR, 1, 1, 1, "read list slow", CmdLPos),
  });
  RegisterListMoveCommands(svc);
  RegisterListBlockingCommands(svc);
}

}  // namespace kora
