// Multi-key string commands: MGET MSET MSETNX, with their cross-shard coordinators, and the
// shard-plan helpers other coordinators (BITOP, LCS) share.
#include "commands/notify.h"
#include "commands/string_util.h"

namespace kora {

const std::vector<uint32_t>& ShardPlan::Mine(int shard) const {
  for (size_t i = 0; i < shards.size(); ++i) {
    if (shards[i] == shard) return members[i];
  }
  static const std::vector<uint32_t> kNone;
  return kNone;
}

std::shared_ptr<const ShardPlan> PlanKeys(CmdCtx& ctx, CmdArgs args, size_t first, size_t step,
                                          bool with_values) {
  Engine& eng = ctx.svc->engine();
  auto plan = std::make_shared<ShardPlan>();
  std::vector<int> slot_of_shard(eng.size(), -1);
  for (size_t i = first; i < args.size(); i += step) {
    uint32_t index = static_cast<uint32_t>(plan->keys.size());
    plan->keys.emplace_back(args[i]);
    if (with_values) plan->values.emplace_back(args[i + 1]);
    int s = eng.ShardOf(args[i]);
    if (slot_of_shard[s] < 0) {
      slot_of_shard[s] = static_cast<int>(plan->shards.size());
      plan->shards.push_back(s);
      plan->members.emplace_back();
    }
    plan->members[slot_of_shard[s]].push_back(index);
  }
  return plan;
}

void FetchStrings(CmdCtx& ctx, std::shared_ptr<const ShardPlan> plan,
                  absl::AnyInvocable<void(std::vector<FetchedString>&)> then) {
  using Part = std::vector<FetchedString>;
  ctx.svc->RunOnShards<Part>(
      ctx, plan->shards,
      [plan](CmdCtx& c) -> Part {
        Part out;
        DbTable& db = c.db();
        ShardStats& stats = c.shard().stats();
        for (uint32_t k : plan->Mine(c.worker->id())) {
          FetchedString& f = out.emplace_back();
          KeyEntry* e = db.Find(plan->keys[k], c.now_ms);
          if (e == nullptr) {
            ++stats.keyspace_misses;
            continue;
          }
          ++stats.keyspace_hits;
          if (!e->value.is_string()) {
            f.state = FetchedString::kWrongType;
            continue;
          }
          f.state = FetchedString::kString;
          IntDigits d;
          f.bytes.assign(StrBytes(e->value, &d));
        }
        return out;
      },
      [plan, then = std::move(then)](std::vector<Part>& parts) mutable {
        std::vector<FetchedString> by_key(plan->keys.size());
        for (size_t i = 0; i < parts.size(); ++i) {
          const auto& members = plan->members[i];
          for (size_t j = 0; j < members.size(); ++j) by_key[members[j]] = std::move(parts[i][j]);
        }
        then(by_key);
      });
}

namespace {

void ReplyArity(CmdCtx& ctx, ReplyBuilder& rb) {
  rb.Error("ERR wrong number of arguments for '" + ctx.spec->name + "' command");
}

void CmdMGet(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  ShardStats& stats = ctx.shard().stats();
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 1));
  for (size_t i = 1; i < args.size(); ++i) {
    KeyEntry* e = db.Find(args[i], ctx.now_ms);
    if (e == nullptr) {
      ++stats.keyspace_misses;
      ctx.rb->Null();
      continue;
    }
    ++stats.keyspace_hits;
    if (!e->value.is_string()) {
      ctx.rb->Null();
      continue;
    }
    IntDigits d;
    ctx.rb->Bulk(StrBytes(e->value, &d));
  }
}

void MultiMGet(CmdArgs args, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  FetchStrings(ctx, PlanKeys(ctx, args, 1, 1, false),
               [pending](std::vector<FetchedString>& values) {
                 pending->Finish([&values](ReplyBuilder& rb) {
                   rb.ArrayHeader(static_cast<int64_t>(values.size()));
                   for (const auto& v : values) {
                     v.state == FetchedString::kString ? rb.Bulk(v.bytes) : rb.Null();
                   }
                 });
               });
}

// Sets key/value pairs as SET does (type and TTL replaced).
void SetPair(CmdCtx& ctx, std::string_view key, std::string_view val) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(key, ctx.now_ms);
  if (e) {
    e->value.AssignString(val);
    db.ClearExpire(e);
  } else {
    db.Insert(key, Value::String(val));
  }
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", key);
}

void SetPlanned(CmdCtx& c, const ShardPlan& plan) {
  for (uint32_t k : plan.Mine(c.worker->id())) SetPair(c, plan.keys[k], plan.values[k]);
}

void CmdMSet(CmdArgs args, CmdCtx& ctx) {
  if (args.size() % 2 == 0) return ReplyArity(ctx, *ctx.rb);
  for (size_t i = 1; i < args.size(); i += 2) SetPair(ctx, args[i], args[i + 1]);
  ctx.rb->Ok();
}

void MultiMSet(CmdArgs args, CmdCtx& ctx) {
  if (args.size() % 2 == 0) return ReplyArity(ctx, ctx.conn->Reply());
  auto plan = PlanKeys(ctx, args, 1, 2, true);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<bool>(
      ctx, plan->shards,
      [plan](CmdCtx& c) {
        SetPlanned(c, *plan);
        return true;
      },
      [pending](std::vector<bool>&) { pending->Finish([](ReplyBuilder& rb) { rb.Ok(); }); });
}

void CmdMSetNx(CmdArgs args, CmdCtx& ctx) {
  if (args.size() % 2 == 0) return ReplyArity(ctx, *ctx.rb);
  DbTable& db = ctx.db();
  for (size_t i = 1; i < args.size(); i += 2) {
    if (db.Find(args[i], ctx.now_ms)) {
      ctx.rb->Integer(0);
      return;
    }
  }
  for (size_t i = 1; i < args.size(); i += 2) SetPair(ctx, args[i], args[i + 1]);
  ctx.rb->Integer(1);
}

// Two phases under a barrier: check that no key exists on any shard, then set them all.
void MultiMSetNx(CmdArgs args, CmdCtx& ctx) {
  if (args.size() % 2 == 0) return ReplyArity(ctx, ctx.conn->Reply());
  auto plan = PlanKeys(ctx, args, 1, 2, true);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  CmdCtx saved = ctx;  // conn stays alive: the pending reply holds a reference
  ctx.svc->RunOnShards<bool>(
      ctx, plan->shards,
      [plan](CmdCtx& c) {
        DbTable& db = c.db();
        for (uint32_t k : plan->Mine(c.worker->id())) {
          if (db.Find(plan->keys[k], c.now_ms)) return true;
        }
        return false;
      },
      [plan, pending, saved](std::vector<bool>& exists) mutable {
        for (bool e : exists) {
          if (e) return pending->Finish([](ReplyBuilder& rb) { rb.Integer(0); });
        }
        saved.now_ms = NowUnixMs();
        saved.svc->RunOnShards<bool>(
            saved, plan->shards,
            [plan](CmdCtx& c) {
              SetPlanned(c, *plan);
              return true;
            },
            [pending](std::vector<bool>&) {
              pending->Finish([](ReplyBuilder& rb) { rb.Integer(1); });
            });
      });
}

}  // namespace

std::vector<CommandSpec> StringMultiCommands() {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  return {
      Cmd("mget", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, "read string fast", CmdMGet, MultiMGet),
      Cmd("mset", -3, kW, 1, -1, 2, "write string slow", CmdMSet, MultiMSet),
      Cmd("msetnx", -3, kW, 1, -1, 2, "write string slow", CmdMSetNx, MultiMSetNx),
  };
}

}  // namespace kora
