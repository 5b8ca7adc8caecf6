// Set commands on one key: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER
// SSCAN, and the family's registration (the multi-key commands live in set_algebra.cc and
// set_move.cc).
#include "commands/notify.h"
#include "commands/set_family.h"

#include <absl/container/flat_hash_set.h>

#include <memory>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "commands/families.h"
#include "commands/hash_set_common.h"
#include "commands/service.h"
#include "core/set_object.h"

namespace kora {
namespace {

SetObject* AsSet(KeyEntry* e) { return e->value.As<SetObject>(); }

void CmdSAdd(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindTyped(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr) e = ctx.db().Insert(args[1], Value::Collection(std::make_unique<SetObject>()));
  SetObject* s = AsSet(e);
  size_t max = GetCollectionLimits(ctx).set_max_intset_entries;
  int64_t added = 0;
  for (size_t i = 2; i < args.size(); ++i) added += s->Add(args[i], max);
  if (added) NotifyKeyspaceEvent(ctx, kNotifySet, "sadd", args[1]);
  ctx.rb->Integer(added);
}

void CmdSRem(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindTyped(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  int64_t removed = 0;
  bool emptied = false;
  if (e != nullptr) {
    SetObject* s = AsSet(e);
    for (size_t i = 2; i < args.size(); ++i) {
      if (!s->Remove(args[i])) continue;
      ++removed;
      if (s->size() == 0) {
        ctx.db().Erase(e);
        emptied = true;
        break;
      }
    }
  }
  if (removed) NotifyKeyspaceEvent(ctx, kNotifySet, "srem", args[1]);
  if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  ctx.rb->Integer(removed);
}

void CmdSMembers(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.rb->SetHeader(0);
    return;
  }
  ReplyBuilder* rb = ctx.rb;
  rb->SetHeader(static_cast<int64_t>(AsSet(e)->size()));
  AsSet(e)->ForEach([rb](std::string_view m) { rb->Bulk(m); });
}

void CmdSIsMember(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  ctx.rb->Integer(e != nullptr && AsSet(e)->Contains(args[2]) ? 1 : 0);
}

void CmdSMIsMember(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 2));
  for (size_t i = 2; i < args.size(); ++i) {
    ctx.rb->Integer(e != nullptr && AsSet(e)->Contains(args[i]) ? 1 : 0);
  }
}

void CmdSCard(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  ctx.rb->Integer(e ? static_cast<int64_t>(AsSet(e)->size()) : 0);
}

// SPOP key count (Redis's spopWithCountCommand).
void SPopWithCount(CmdArgs args, CmdCtx& ctx) {
  int64_t l;
  if (!ParseInt64(args[2], &l) || l < 0) {
    ctx.rb->Error("ERR value is out of range, must be positive");
    return;
  }
  uint64_t count = static_cast<uint64_t>(l);
  bool wrong;
  KeyEntry* e = FindTyped(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  ReplyBuilder* rb = ctx.rb;
  if (e == nullptr || count == 0) {
    rb->SetHeader(0);
    return;
  }
  SetObject* s = AsSet(e);
  size_t size = s->size();
  size_t max = GetCollectionLimits(ctx).set_max_intset_entries;
  NotifyKeyspaceEvent(ctx, kNotifySet, "spop", args[1]);
  std::mt19937_64& rng = ctx.shard().rng();
  if (count >= size) {
    // The whole set, through a union into a fresh set as Redis does (so integer members come
    // back in ascending order when they fit an intset).
    SetObject all;
    s->ForEach([&](std::string_view m) { all.Add(m, max); });
    rb->SetHeader(static_cast<int64_t>(size));
    all.ForEach([rb](std::string_view m) { rb->Bulk(m); });
    ctx.db().Erase(e);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
    return;
  }
  rb->SetHeader(static_cast<int64_t>(count));
  uint64_t remaining = size - count;
  std::string m;
  if (remaining * 5 > count) {
    for (uint64_t i = 0; i < count; ++i) {
      s->PopRandom(rng, &m);
      rb->Bulk(m);
    }
    return;
  }
  // Most of the set goes: move the few survivors to a new set (encoded for its members, as
  // Redis 7.0's setTypeCreate does) and reply with the rest.
  auto kept = std::make_unique<SetObject>();
  for (uint64_t i = 0; i < remaining; ++i) {
    s->PopRandom(rng, &m);
    kept->Add(m, max);
  }
  s->ForEach([rb](std::string_view x) { rb->Bulk(x); });
  e->value = Value::Collection(std::move(kept));
}

void CmdSPop(CmdArgs args, CmdCtx& ctx) {
  if (args.size() == 3) {
    SPopWithCount(args, ctx);
    return;
  }
  if (args.size() > 3) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  bool wrong;
  KeyEntry* e = FindTyped(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.rb->Null();
    return;
  }
  std::string m;
  AsSet(e)->PopRandom(ctx.shard().rng(), &m);
  NotifyKeyspaceEvent(ctx, kNotifySet, "spop", args[1]);
  if (AsSet(e)->size() == 0) {
    ctx.db().Erase(e);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  }
  ctx.rb->Bulk(m);
}

// SRANDMEMBER key count (Redis's srandmemberWithCountCommand).
void SRandMemberWithCount(CmdArgs args, CmdCtx& ctx) {
  int64_t l;
  std::string err = ParseRandCount(args[2], &l);
  if (!err.empty()) {
    ctx.rb->Error(err);
    return;
  }
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  ReplyBuilder* rb = ctx.rb;
  uint64_t count = l >= 0 ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  if (e == nullptr || count == 0) {
    rb->EmptyArray();
    return;
  }
  const SetObject* s = AsSet(e);
  size_t size = s->size();
  std::mt19937_64& rng = ctx.shard().rng();
  std::string m;
  if (l < 0 || count == 1) {
    if (count > kMaxRandomRepeats) {
      rb->Error(kRandomCountTooLarge);
      return;
    }
    rb->ArrayHeader(static_cast<int64_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
      s->Random(rng, &m);
      rb->Bulk(m);
    }
    return;
  }
  if (count >= size) {
    rb->ArrayHeader(static_cast<int64_t>(size));
    s->ForEach([rb](std::string_view x) { rb->Bulk(x); });
    return;
  }
  rb->ArrayHeader(static_cast<int64_t>(count));
  if (count * 3 > size) {
    // A partial Fisher-Yates shuffle of all members picks `count` distinct ones.
    std::vector<std::string> all;
    all.reserve(size);
    s->ForEach([&](std::string_view x) { all.emplace_back(x); });
    for (uint64_t i = 0; i < count; ++i) {
      std::swap(all[i], all[i + rng() % (size - i)]);
      rb->Bulk(all[i]);
    }
    return;
  }
  absl::flat_hash_set<std::string> picked;
  picked.reserve(count);
  while (picked.size() < count) {
    s->Random(rng, &m);
    if (picked.insert(m).second) rb->Bulk(m);
  }
}

void CmdSRandMember(CmdArgs args, CmdCtx& ctx) {
  if (args.size() == 3) {
    SRandMemberWithCount(args, ctx);
    return;
  }
  if (args.size() > 3) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    ctx.rb->Null();
    return;
  }
  std::string m;
  AsSet(e)->Random(ctx.shard().rng(), &m);
  ctx.rb->Bulk(m);
}

// SSCAN key cursor [MATCH pattern] [COUNT count]: an intset is returned whole with cursor 0.
void CmdSScan(CmdArgs args, CmdCtx& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(args[2], &cursor)) {
    ctx.rb->Error(kInvalidCursor);
    return;
  }
  bool wrong;
  KeyEntry* e = FindForRead(ctx, args[1], ValueType::kSet, &wrong);
  if (wrong) return;
  ReplyBuilder* rb = ctx.rb;
  if (e == nullptr) {
    rb->ArrayHeader(2);
    rb->Bulk("0");
    rb->EmptyArray();
    return;
  }
  ScanOptions opts;
  std::string err = ParseScanOptions(args, 3, &opts);
  if (!err.empty()) {
    rb->Error(err);
    return;
  }
  const SetObject* s = AsSet(e);
  std::vector<std::string> out;
  size_t seen = 0;
  auto collect = [&](std::string_view m) {
    ++seen;
    if (ScanMatches(opts, m)) out.emplace_back(m);
  };
  if (s->is_intset()) {
    s->ForEach(collect);
    cursor = 0;
  } else {
    int64_t max_iterations = opts.count * 10;
    do {
      cursor = s->ScanTable(cursor, collect);
    } while (cursor != 0 && max_iterations-- > 0 && seen < static_cast<uint64_t>(opts.count));
  }
  rb->ArrayHeader(2);
  rb->Bulk(std::to_string(cursor));
  rb->ArrayHeader(static_cast<int64_t>(out.size()));
  for (const std::string& m : out) rb->Bulk(m);
}

}  // namespace

void RegisterSetFamily(Service& svc) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadOnly;
  constexpr uint32_t kF = kCmdFast;
  auto ks = [](const char* flags, int begin, int last) {
    KeySpec k;
    k.flags = flags;
    k.begin_index = begin;
    k.last_or_numidx = last;
    return k;
  };
  auto row = [&](CommandSpec s, const char* key_flags, const char* tips = "") {
    s.key_specs.push_back(ks(key_flags, 1, s.last_key < 0 ? -1 : 0));
    s.tips = tips;
    return s;
  };
  // *STORE: the destination, then the sources.
  auto store = [&](CommandSpec s, const char* dst_flags) {
    s.key_specs = {ks(dst_flags, 1, 0), ks("RO access", 2, -1)};
    return s;
  };
  const char* kOrder = "nondeterministic_output_order";
  const char* kRandom = "nondeterministic_output";
  CommandSpec smove =
      Cmd("smove", 4, kCmdWrite | kF, 1, 2, 1, "write set fast", CmdSMove, MultiSMove);
  smove.key_specs = {ks("RW access delete", 1, 0), ks("RW insert", 2, 0)};
  CommandSpec sintercard =
      Cmd("sintercard", -3, kR, 0, 0, 0, "read set slow", CmdSInterCard, MultiSInterCard);
  sintercard.getkeys = SInterCardKeys;
  KeySpec card_keys = ks("RO access", 1, 0);
  card_keys.keynum = true;
  card_keys.step_or_first = 1;
  card_keys.limit_or_step = 1;
  sintercard.key_specs = {card_keys};
  svc.Register({
      row(Cmd("sadd", -3, kW | kF, 1, 1, 1, "write set fast", CmdSAdd), "RW insert"),
      row(Cmd("srem", -3, kCmdWrite | kF, 1, 1, 1, "write set fast", CmdSRem), "RW delete"),
      row(Cmd("smembers", 2, kR, 1, 1, 1, "read set slow", CmdSMembers), "RO access", kOrder),
      row(Cmd("sismember", 3, kR | kF, 1, 1, 1, "read set fast", CmdSIsMember), "RO"),
      row(Cmd("smismember", -3, kR | kF, 1, 1, 1, "read set fast", CmdSMIsMember), "RO access"),
      row(Cmd("scard", 2, kR | kF, 1, 1, 1, "read set fast", CmdSCard), "RO"),
      row(Cmd("spop", -2, kCmdWrite | kF, 1, 1, 1, "write set fast", CmdSPop), "RW access delete",
          kRandom),
      row(Cmd("srandmember", -2, kR, 1, 1, 1, "read set slow", CmdSRandMember), "RO access",
          kRandom),
      std::move(smove),
      row(Cmd("sunion", -2, kR, 1, -1, 1, "read set slow", CmdSUnion, MultiSUnion), "RO access",
          kOrder),
      row(Cmd("sinter", -2, kR, 1, -1, 1, "read set slow", CmdSInter, MultiSInter), "RO access",
          kOrder),
      row(Cmd("sdiff", -2, kR, 1, -1, 1, "read set slow", CmdSDiff, MultiSDiff), "RO access",
          kOrder),
      store(
          Cmd("sunionstore", -3, kW, 1, -1, 1, "write set slow", CmdSUnionStore, MultiSUnionStore),
          "OW update"),
      store(
          Cmd("sinterstore", -3, kW, 1, -1, 1, "write set slow", CmdSInterStore, MultiSInterStore),
          "RW update"),
      store(Cmd("sdiffstore", -3, kW, 1, -1, 1, "write set slow", CmdSDiffStore, MultiSDiffStore),
            "OW update"),
      std::move(sintercard),
      row(Cmd("sscan", -3, kR, 1, 1, 1, "read set slow", CmdSScan), "RO access", kRandom),
  });
}

}  // namespace kora
