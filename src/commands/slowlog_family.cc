// SLOWLOG GET/LEN/RESET/HELP. Each worker keeps the slow entries of its own clients
// (observe::Slowlog, no lock); the ids come from one shared counter, so the reader merges the
// workers' logs by id into Redis's single newest-first log of at most slowlog-max-len entries.
#include <algorithm>

#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/observe_hook.h"
#include "commands/server_family.h"

namespace kora {

std::unique_ptr<observe::SlowlogEntry> MakeSlowEntry(CmdArgs args, int64_t dur_us) {
  auto e = std::make_unique<observe::SlowlogEntry>();
  e->time_sec = NowUnixMs() / 1000;
  e->duration_us = dur_us;
  e->args = observe::SlowlogArgs(args);
  return e;
}

void PushSlowEntry(Service& svc, ConnContext& conn, std::unique_ptr<observe::SlowlogEntry> e) {
  observe::ShardMetrics& m = Worker::Current()->shard().metrics();
  if (m.settings_generation != svc.config().generation()) RefreshObserveSettings(svc, m);
  if (m.settings.slowlog_max_len == 0) return;
  e->peer = conn.addr;
  e->name = conn.name;
  e->id = svc.slowlog_ids().fetch_add(1, std::memory_order_relaxed);
  m.slowlog().Push(std::move(*e), m.settings.slowlog_max_len);
}

namespace {

using Entries = std::vector<observe::SlowlogEntry>;

// Every worker's entries (at most `limit` each), merged newest first and cut to the log's
// length, then `done` with them on the caller's worker. Only entries logged before this call
// count: a worker may answer after the calling command itself was logged (its part waited for
// a transaction), and Redis's SLOWLOG never sees its own entry.
void CollectSlowlog(CmdCtx& ctx, size_t limit, absl::AnyInvocable<void(Entries&)> done) {
  int64_t max_len = ctx.svc->config().IntValue("slowlog-max-len");
  uint64_t before = ctx.svc->slowlog_ids().load(std::memory_order_relaxed);
  ctx.svc->RunOnShards<Entries>(
      ctx, ctx.svc->AllShards(),
      [limit, before](CmdCtx& c) {
        Entries out;
        for (const auto& e : c.shard().metrics().slowlog().entries()) {
          if (out.size() >= limit) break;
          if (e.id < before) out.push_back(e);
        }
        return out;
      },
      [max_len, done = std::move(done)](std::vector<Entries>& parts) mutable {
        Entries all;
        for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(all));
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
        // slowlog-max-len 0 stops logging without dropping what is there (as in Redis).
        if (max_len > 0 && all.size() > static_cast<size_t>(max_len)) all.resize(max_len);
        done(all);
      });
}

void CmdSlowlogGet(CmdArgs args, CmdCtx& ctx) {
  if (args.size() > 3) {
    ReplySubcommandSyntaxError(ctx, args);
    return;
  }
  int64_t count = 10;
  if (args.size() == 3) {
    if (!ParseInt64(args[2], &count) || count < -1) {
      ctx.rb->Error("ERR count should be greater than or equal to -1");
      return;
    }
  }
  size_t limit = count == -1 ? SIZE_MAX : static_cast<size_t>(count);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  CollectSlowlog(ctx, limit, [pending, limit](Entries& all) {
    pending->Finish([&](ReplyBuilder& rb) {
      size_t n = std::min(limit, all.size());
      rb.ArrayHeader(static_cast<int64_t>(n));
      for (size_t i = 0; i < n; ++i) {
        const auto& e = all[i];
        rb.ArrayHeader(6);
        rb.Integer(static_cast<int64_t>(e.id));
        rb.Integer(e.time_sec);
        rb.Integer(e.duration_us);
        rb.ArrayHeader(static_cast<int64_t>(e.args.size()));
        for (const auto& a : e.args) rb.Bulk(a);
        rb.Bulk(e.peer);
        rb.Bulk(e.name);
      }
    });
  });
}

void CmdSlowlogLen(CmdArgs, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  CollectSlowlog(ctx, SIZE_MAX, [pending](Entries& all) {
    int64_t n = static_cast<int64_t>(all.size());
    pending->Finish([n](ReplyBuilder& rb) { rb.Integer(n); });
  });
}

void CmdSlowlogReset(CmdArgs, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  uint64_t before = ctx.svc->slowlog_ids().load(std::memory_order_relaxed);
  ctx.svc->RunOnShards<int>(
      ctx, ctx.svc->AllShards(),
      [before](CmdCtx& c) {
        c.shard().metrics().slowlog().ResetBefore(before);  // not RESET's own entry
        return 0;
      },
      [pending](std::vector<int>&) { pending->Finish([](ReplyBuilder& rb) { rb.Ok(); }); });
}

void CmdSlowlogHelp(CmdArgs args, CmdCtx& ctx) {
  ReplyHelp(ctx, args[0],
            {"GET [<count>]",
             "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
             "    Entries are made of:",
             "    id, timestamp, time in microseconds, arguments array, client IP and port,",
             "    client name", "LEN", "    Return the length of the slowlog.", "RESET",
             "    Reset the slowlog."});
}

CommandSpec Sub(const char* name, int arity, CmdHandler h) {
  return Cmd(name, arity, kCmdConn, 0, 0, 0, "", h);
}

}  // namespace

void RegisterSlowlogFamily(Service& svc) {
  CommandSpec slowlog = Cmd("slowlog", -2, kCmdConn, 0, 0, 0, "", nullptr);
  slowlog.subcommands = {
      Sub("slowlog|get", -2, CmdSlowlogGet),
      Sub("slowlog|len", 2, CmdSlowlogLen),
      Sub("slowlog|reset", 2, CmdSlowlogReset),
      Sub("slowlog|help", 2, CmdSlowlogHelp),
  };
  svc.Register({std::move(slowlog)});
}

}  // namespace kora
