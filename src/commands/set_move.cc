// SMOVE source destination member.
//
// On one shard it is Redis's smoveCommand. Across shards the coordinator runs three hops with
// the connection's barrier held: check the destination's type, remove the member from the
// source (which answers the command), then add it to the destination.
#include <memory>
#include <string>
#include <vector>

#include "commands/notify.h"
#include "commands/hash_set_common.h"
#include "commands/service.h"
#include "commands/set_family.h"
#include "core/set_object.h"

namespace kora {
namespace {

constexpr int64_t kWrongType = -1;

// Removes `member` from the source set: 1 when moved out, 0 when absent, kWrongType.
int64_t OpTakeFromSource(CmdCtx& ctx, std::string_view src, std::string_view member,
                         bool dst_wrong_type) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(src, ctx.now_ms);
  if (e == nullptr) return 0;
  if (e->value.type() != ValueType::kSet || dst_wrong_type) return kWrongType;
  SetObject* s = e->value.As<SetObject>();
  if (!s->Remove(member)) return 0;
  NotifyKeyspaceEvent(ctx, kNotifySet, "srem", src);
  if (s->size() == 0) {
    db.Erase(e);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", src);
  }
  return 1;
}

// Adds `member` to the destination set, creating it when missing.
void OpAddToDestination(CmdCtx& ctx, std::string_view dst, std::string_view member) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(dst, ctx.now_ms);
  if (e != nullptr && e->value.type() != ValueType::kSet) return;  // changed since the check
  if (e == nullptr) e = db.Insert(dst, Value::Collection(std::make_unique<SetObject>()));
  if (e->value.As<SetObject>()->Add(member, GetCollectionLimits(ctx).set_max_intset_entries)) {
    NotifyKeyspaceEvent(ctx, kNotifySet, "sadd", dst);
  }
}

void Finish(PendingReply* pending, int64_t r) {
  pending->Finish([r](ReplyBuilder& rb) {
    if (r == kWrongType) {
      rb.Error(err::kWrongType);
    } else {
      rb.Integer(r);
    }
  });
}

}  // namespace

void CmdSMove(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  KeyEntry* src = db.Find(args[1], ctx.now_ms);
  KeyEntry* dst = db.Find(args[2], ctx.now_ms);
  if (src == nullptr) {
    ctx.rb->Integer(0);
    return;
  }
  if (src->value.type() != ValueType::kSet ||
      (dst != nullptr && dst->value.type() != ValueType::kSet)) {
    ctx.rb->Error(err::kWrongType);
    return;
  }
  SetObject* s = src->value.As<SetObject>();
  if (src == dst) {
    ctx.rb->Integer(s->Contains(args[3]) ? 1 : 0);
    return;
  }
  if (!s->Remove(args[3])) {
    ctx.rb->Integer(0);
    return;
  }
  NotifyKeyspaceEvent(ctx, kNotifySet, "srem", args[1]);
  if (s->size() == 0) {
    db.Erase(src);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  }
  OpAddToDestination(ctx, args[2], args[3]);
  ctx.rb->Integer(1);
}

void MultiSMove(CmdArgs args, CmdCtx& ctx) {
  std::string src(args[1]), dst(args[2]), member(args[3]);
  Engine& eng = ctx.svc->engine();
  int src_shard = eng.ShardOf(src);
  int dst_shard = eng.ShardOf(dst);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  CmdCtx coord = ctx;  // the connection stays referenced by `pending`
  ctx.svc->RunOnShards<int>(
      ctx, {dst_shard},
      [dst](CmdCtx& c) -> int {
        KeyEntry* e = c.db().Find(dst, c.now_ms);
        return e != nullptr && e->value.type() != ValueType::kSet;
      },
      [=](std::vector<int>& dst_wrong) mutable {
        bool wrong = dst_wrong[0] != 0;
        coord.svc->RunOnShards<int64_t>(
            coord, {src_shard},
            [src, member, wrong](CmdCtx& c) { return OpTakeFromSource(c, src, member, wrong); },
            [=](std::vector<int64_t>& taken) mutable {
              int64_t r = taken[0];
              if (r != 1) {
                Finish(pending, r);
                return;
              }
              coord.svc->RunOnShards<int64_t>(
                  coord, {dst_shard},
                  [dst, member](CmdCtx& c) -> int64_t {
                    OpAddToDestination(c, dst, member);
                    return 1;
                  },
                  [pending](std::vector<int64_t>&) { Finish(pending, 1); });
            });
      });
}

}  // namespace kora
