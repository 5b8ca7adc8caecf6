// Key commands.
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"

namespace kora {
namespace {

// DEL/UNLINK/EXISTS/TOUCH share one shape: count keys on each shard, sum.
int64_t CountOnShard(CmdArgs args, CmdCtx& ctx, bool erase) {
  int64_t n = 0;
  DbTable& db = ctx.db();
  for (size_t i = 1; i < args.size(); ++i) {
    if (erase) {
      KeyEntry* e = db.Find(args[i], ctx.now_ms);
      if (e) {
        db.Erase(e);
        ++n;
      }
    } else if (db.Find(args[i], ctx.now_ms)) {
      ++n;
    }
  }
  return n;
}

void CmdDel(CmdArgs args, CmdCtx& ctx) { ctx.rb->Integer(CountOnShard(args, ctx, true)); }
void CmdExists(CmdArgs args, CmdCtx& ctx) { ctx.rb->Integer(CountOnShard(args, ctx, false)); }

// Splits the keys by shard, runs the single-shard form on each, sums the counts.
void SumAcrossShards(CmdArgs args, CmdCtx& ctx, bool erase) {
  Engine& eng = ctx.svc->engine();
  std::vector<std::vector<std::string>> per(eng.size());
  for (size_t i = 1; i < args.size(); ++i) per[eng.ShardOf(args[i])].emplace_back(args[i]);
  std::vector<int> shards;
  std::vector<std::vector<std::string>> parts;
  for (int s = 0; s < eng.size(); ++s) {
    if (per[s].empty()) continue;
    shards.push_back(s);
    parts.push_back(std::move(per[s]));
  }
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  auto shared = std::make_shared<const std::vector<std::vector<std::string>>>(std::move(parts));
  auto shard_index = std::make_shared<const std::vector<int>>(shards);
  ctx.svc->RunOnShards<int64_t>(
      ctx, shards,
      [shared, shard_index, erase](CmdCtx& c) -> int64_t {
        int me = c.worker->id();
        for (size_t i = 0; i < shard_index->size(); ++i) {
          if ((*shard_index)[i] != me) continue;
          std::vector<std::string_view> a{"_"};
          for (const auto& k : (*shared)[i]) a.emplace_back(k);
          return CountOnShard(CmdArgs(a.data(), a.size()), c, erase);
        }
        return 0;
      },
      [pending](std::vector<int64_t>& r) {
        int64_t sum = 0;
        for (int64_t v : r) sum += v;
        pending->Finish([sum](ReplyBuilder& rb) { rb.Integer(sum); });
      });
}

void MultiDel(CmdArgs args, CmdCtx& ctx) { SumAcrossShards(args, ctx, true); }
void MultiExists(CmdArgs args, CmdCtx& ctx) { SumAcrossShards(args, ctx, false); }

}  // namespace

void RegisterKeyFamily(Service& svc) {
  svc.Register({
      Cmd("del", -2, kCmdWrite, 1, -1, 1, "keyspace write slow", CmdDel, MultiDel),
      Cmd("exists", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, "keyspace read fast", CmdExists,
          MultiExists),
  });
}

}  // namespace kora
