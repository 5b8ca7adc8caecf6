// Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS HGETALL
// HINCRBY HINCRBYFLOAT, and the family's registration (HRANDFIELD and HSCAN live in
// hash_random_scan.cc). Every command runs on the key's shard.
#include "commands/notify.h"
#include "commands/hash_family.h"

#include <cmath>
#include <memory>

#include "base/strutil.h"
#include "commands/families.h"
#include "commands/hash_set_common.h"
#include "commands/service.h"
#include "core/hash_object.h"

namespace kora {
namespace {

HashObject* AsHash(KeyEntry* e) { return e->value.As<HashObject>(); }

// Redis's hashTypeLookupWriteOrCreate: the hash at `key`, created empty when missing; nullptr
// after replying WRONGTYPE. A created hash must get at least one field before the command ends.
KeyEntry* LookupWriteOrCreate(CmdCtx& ctx, std::string_view key) {
  bool wrong;
  KeyEntry* e = FindTyped(ctx, key, ValueType::kHash, &wrong);
  if (wrong) return nullptr;
  if (e == nullptr) e = ctx.db().Insert(key, Value::Collection(std::make_unique<HashObject>()));
  return e;
}

// HSET key field value [field value ...]: the number of new fields; -1 after an error reply.
int64_t SetFields(CmdArgs args, CmdCtx& ctx) {
  if (args.size() % 2 == 1) {
    ctx.rb->Error(ArityError(ctx));
    return -1;
  }
  KeyEntry* e = LookupWriteOrCreate(ctx, args[1]);
  if (e == nullptr) return -1;
  const CollectionLimits& lim = GetCollectionLimits(ctx);
  HashObject* h = AsHash(e);
  int64_t created = 0;
  for (size_t i = 2; i < args.size(); i += 2) {
    created +=
        h->Set(args[i], args[i + 1], lim.hash_max_listpack_entries, lim.hash_max_listpack_value);
  }
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hset", args[1]);
  return created;
}

void CmdHSet(CmdArgs args, CmdCtx& ctx) {
  int64_t created = SetFields(args, ctx);
  if (created >= 0) ctx.rb->Integer(created);
}

void CmdHMSet(CmdArgs args, CmdCtx& ctx) {
  if (SetFields(args, ctx) >= 0) ctx.rb->Ok();
}

void CmdHSetNx(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = LookupWriteOrCreate(ctx, args[1]);
  if (e == nullptr) return;
  HashObject* h = AsHash(e);
  if (h->Contains(args[2])) {
    ctx.rb->Integer(0);
    return;
  }
  const CollectionLimits& lim = GetCollectionLimits(ctx);
  h->Set(args[2], args[3], lim.hash_max_listpack_entries, lim.hash_max_listpack_value);
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hset", args[1]);
  ctx.rb->Integer(1);
}

void CmdHGet(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.rb->Null();
    return;
  }
  auto v = AsHash(e)->Get(args[2]);
  if (v) {
    ctx.rb->Bulk(*v);
  } else {
    ctx.rb->Null();
  }
}

void CmdHMGet(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 2));
  for (size_t i = 2; i < args.size(); ++i) {
    std::optional<std::string_view> v;
    if (e != nullptr) v = AsHash(e)->Get(args[i]);
    if (v) {
      ctx.rb->Bulk(*v);
    } else {
      ctx.rb->Null();
    }
  }
}

void CmdHDel(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindTyped(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  int64_t deleted = 0;
  bool emptied = false;
  if (e != nullptr) {
    HashObject* h = AsHash(e);
    for (size_t i = 2; i < args.size(); ++i) {
      if (!h->Delete(args[i])) continue;
      ++deleted;
      if (h->size() == 0) {
        ctx.db().Erase(e);
        emptied = true;
        break;
      }
    }
  }
  if (deleted) NotifyKeyspaceEvent(ctx, kNotifyHash, "hdel", args[1]);
  if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  ctx.rb->Integer(deleted);
}

void CmdHExists(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  ctx.rb->Integer(e != nullptr && AsHash(e)->Contains(args[2]) ? 1 : 0);
}

void CmdHLen(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  ctx.rb->Integer(e ? static_cast<int64_t>(AsHash(e)->size()) : 0);
}

void CmdHStrLen(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  std::optional<std::string_view> v;
  if (e != nullptr) v = AsHash(e)->Get(args[2]);
  ctx.rb->Integer(v ? static_cast<int64_t>(v->size()) : 0);
}

enum class GetAll { kKeys, kValues, kPairs };

void ReplyAll(CmdArgs args, CmdCtx& ctx, GetAll what) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kHash, &wrong);
  if (wrong) return;
  int64_t n = e ? static_cast<int64_t>(AsHash(e)->size()) : 0;
  if (what == GetAll::kPairs) {
    ctx.rb->MapHeader(n);
  } else {
    ctx.rb->ArrayHeader(n);
  }
  if (e == nullptr) return;
  ReplyBuilder* rb = ctx.rb;
  AsHash(e)->ForEach([rb, what](std::string_view f, std::string_view v) {
    if (what != GetAll::kValues) rb->Bulk(f);
    if (what != GetAll::kKeys) rb->Bulk(v);
  });
}

void CmdHKeys(CmdArgs args, CmdCtx& ctx) { ReplyAll(args, ctx, GetAll::kKeys); }
void CmdHVals(CmdArgs args, CmdCtx& ctx) { ReplyAll(args, ctx, GetAll::kValues); }
void CmdHGetAll(CmdArgs args, CmdCtx& ctx) { ReplyAll(args, ctx, GetAll::kPairs); }

void CmdHIncrBy(CmdArgs args, CmdCtx& ctx) {
  int64_t incr;
  if (!ParseInt64(args[3], &incr)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  KeyEntry* e = LookupWriteOrCreate(ctx, args[1]);
  if (e == nullptr) return;
  HashObject* h = AsHash(e);
  int64_t value = 0;
  if (auto cur = h->Get(args[2])) {
    if (cur->size() > 20 || !ParseInt64(*cur, &value)) {
      ctx.rb->Error("ERR hash value is not an integer");
      return;
    }
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    ctx.rb->Error(err::kOverflow);
    return;
  }
  value += incr;
  std::string s = Int64ToString(value);
  const CollectionLimits& lim = GetCollectionLimits(ctx);
  h->Set(args[2], s, lim.hash_max_listpack_entries, lim.hash_max_listpack_value);
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hincrby", args[1]);
  ctx.rb->Integer(value);
}

void CmdHIncrByFloat(CmdArgs args, CmdCtx& ctx) {
  long double incr;
  if (!ParseLongDouble(args[3], &incr)) {
    ctx.rb->Error(err::kNotFloat);
    return;
  }
  if (std::isnan(incr) || std::isinf(incr)) {
    ctx.rb->Error("ERR value is NaN or Infinity");
    return;
  }
  KeyEntry* e = LookupWriteOrCreate(ctx, args[1]);
  if (e == nullptr) return;
  HashObject* h = AsHash(e);
  long double value = 0;
  if (auto cur = h->Get(args[2])) {
    if (!ParseLongDouble(*cur, &value)) {
      ctx.rb->Error("ERR hash value is not a float");
      return;
    }
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.rb->Error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string s = LongDoubleToString(value);
  const CollectionLimits& lim = GetCollectionLimits(ctx);
  h->Set(args[2], s, lim.hash_max_listpack_entries, lim.hash_max_listpack_value);
  NotifyKeyspaceEvent(ctx, kNotifyHash, "hincrbyfloat", args[1]);
  ctx.rb->Bulk(s);
}

}  // namespace

void RegisterHashFamily(Service& svc) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kF = kCmdFast;
  auto row = [](CommandSpec s, const char* key_flags, const char* tips = "") {
    KeySpec k;
    k.flags = key_flags;
    k.begin_index = 1;
    s.key_specs.push_back(k);
    s.tips = tips;
    return s;
  };
  const char* kOrder = "nondeterministic_output_order";
  const char* kRandom = "nondeterministic_output";
  svc.Register({
      row(Cmd("hset", -4, kW | kF, 1, 1, 1, "write hash fast", CmdHSet), "RW update"),
      row(Cmd("hsetnx", 4, kW | kF, 1, 1, 1, "write hash fast", CmdHSetNx), "RW insert"),
      row(Cmd("hmset", -4, kW | kF, 1, 1, 1, "write hash fast", CmdHMSet), "RW update"),
      row(Cmd("hget", 3, kR | kF, 1, 1, 1, "read hash fast", CmdHGet), "RO access"),
      row(Cmd("hmget", -3, kR | kF, 1, 1, 1, "read hash fast", CmdHMGet), "RO access"),
      row(Cmd("hdel", -3, kCmdWrite | kF, 1, 1, 1, "write hash fast", CmdHDel), "RW delete"),
      row(Cmd("hexists", 3, kR | kF, 1, 1, 1, "read hash fast", CmdHExists), "RO"),
      row(Cmd("hlen", 2, kR | kF, 1, 1, 1, "read hash fast", CmdHLen), "RO"),
      row(Cmd("hstrlen", 3, kR | kF, 1, 1, 1, "read hash fast", CmdHStrLen), "RO"),
      row(Cmd("hkeys", 2, kR, 1, 1, 1, "read hash slow", CmdHKeys), "RO access", kOrder),
      row(Cmd("hvals", 2, kR, 1, 1, 1, "read hash slow", CmdHVals), "RO access", kOrder),
      row(Cmd("hgetall", 2, kR, 1, 1, 1, "read hash slow", CmdHGetAll), "RO access", kOrder),
      row(Cmd("hincrby", 4, kW | kF, 1, 1, 1, "write hash fast", CmdHIncrBy), "RW access update"),
      row(Cmd("hincrbyfloat", 4, kW | kF, 1, 1, 1, "write hash fast", CmdHIncrByFloat),
          "RW access update"),
      row(Cmd("hrandfield", -2, kR, 1, 1, 1, "read hash slow", CmdHRandField), "RO access",
          kRandom),
      row(Cmd("hscan", -3, kR, 1, 1, 1, "read hash slow", CmdHScan), "RO access", kRandom),
  });
}

}  // namespace kora
