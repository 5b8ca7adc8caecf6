// CONFIG GET / SET / RESETSTAT / HELP. CONFIG REWRITE is not offered (Kora's configuration
// file is TOML, not redis.conf), so it answers Redis's unknown-subcommand error.
#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/server_family.h"
#include "commands/service.h"

namespace kora {
namespace {

void CmdConfigGet(CmdArgs args, CmdCtx& ctx) {
  std::vector<std::string> patterns(args.begin() + 2, args.end());
  auto found = ctx.svc->config().Get(patterns);
  ctx.rb->MapHeader(static_cast<int64_t>(found.size()));
  for (const auto& [name, value] : found) {
    ctx.rb->Bulk(name);
    ctx.rb->Bulk(value);
  }
}

void CmdConfigSet(CmdArgs args, CmdCtx& ctx) {
  if (args.size() % 2 != 0) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  std::vector<std::pair<std::string, std::string>> kv;
  for (size_t i = 2; i + 1 < args.size(); i += 2) kv.emplace_back(args[i], args[i + 1]);
  std::string err = ctx.svc->config().Set(kv);
  if (err.empty()) {
    ctx.rb->Ok();
  } else {
    ctx.rb->Error(err);
  }
}

// Resets INFO's statistics on every worker (each resets its own counters and shard stats).
void CmdConfigResetStat(CmdArgs, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<int>(
      ctx, ctx.svc->AllShards(),
      [](CmdCtx& c) -> int {
        WorkerState& ws = c.svc->local();
        for (auto& st : ws.cmd_stats) st = CmdStat{};
        ws.error_stats.clear();
        ws.total_error_replies = 0;
        ws.unexpected_error_replies = 0;
        ws.total_connections = 0;
        ws.rejected_connections = 0;
        ws.total_commands = 0;
        ws.net_input_bytes = 0;
        ws.net_output_bytes = 0;
        ws.ops_rate = RateSampler{};
        ws.net_in_rate = RateSampler{};
        ws.net_out_rate = RateSampler{};
        ws.expired_keys_base = c.shard().expired_keys();
        ws.evicted_keys = 0;
        ShardStats& ss = c.shard().stats();
        ss.keyspace_hits = 0;
        ss.keyspace_misses = 0;
        c.shard().metrics().ResetHistograms();  // as Redis frees its latency histograms
        c.shard().metrics().hot_keys().Reset();
        return 0;
      },
      [pending](std::vector<int>&) { pending->Finish([](ReplyBuilder& rb) { rb.Ok(); }); });
}

void CmdConfigHelp(CmdArgs args, CmdCtx& ctx) {
  ReplyHelp(
      ctx, args[0],
      {"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
       "SET <directive> <value>", "    Set the configuration <directive> to <value>.", "RESETSTAT",
       "    Reset statistics reported by the INFO command."});
}

CommandSpec Sub(const char* name, int arity, CmdHandler h) {
  return Cmd(name, arity, kCmdConn, 0, 0, 0, "", h);
}

}  // namespace

void RegisterConfigCommands(Service& svc) {
  CommandSpec config = Cmd("config", -2, kCmdConn, 0, 0, 0, "", nullptr);
  config.subcommands = {
      Sub("config|get", -3, CmdConfigGet),
      Sub("config|set", -4, CmdConfigSet),
      Sub("config|resetstat", 2, CmdConfigResetStat),
      Sub("config|help", 2, CmdConfigHelp),
  };
  svc.Register({std::move(config)});
}

}  // namespace kora
