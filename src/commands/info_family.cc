// INFO [section ...]: each worker reports its own counters, connections and shard (read on its
// own thread), and the caller's worker sums them into Redis's sections.
#include "commands/info_family.h"

#include <algorithm>

#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/server_family.h"

namespace kora {

InfoRequest ParseInfoRequest(CmdArgs args) {
  InfoRequest r;
  auto defaults = [&r] {
    r.server = r.clients = r.memory = r.persistence = r.stats = r.replication = true;
    r.cpu = r.modules = r.errorstats = r.cluster = r.keyspace = true;
  };
  if (args.size() == 1) {
    defaults();
    return r;
  }
  for (size_t i = 1; i < args.size(); ++i) {
    std::string s = ToLower(args[i]);
    if (s == "default") {
      defaults();
    } else if (s == "all" || s == "everything") {
      defaults();
      r.commandstats = true;
      r.latencystats = true;
    } else if (s == "server") {
      r.server = true;
    } else if (s == "clients") {
      r.clients = true;
    } else if (s == "memory") {
      r.memory = true;
    } else if (s == "persistence") {
      r.persistence = true;
    } else if (s == "stats") {
      r.stats = true;
    } else if (s == "replication") {
      r.replication = true;
    } else if (s == "cpu") {
      r.cpu = true;
    } else if (s == "modules") {
      r.modules = true;
    } else if (s == "commandstats") {
      r.commandstats = true;
    } else if (s == "latencystats") {
      r.latencystats = true;
    } else if (s == "errorstats") {
      r.errorstats = true;
    } else if (s == "cluster") {
      r.cluster = true;
    } else if (s == "keyspace") {
      r.keyspace = true;
    }
  }
  return r;
}

namespace {

WorkerInfo CollectWorker(CmdCtx& c, bool want_cmd_stats, bool want_keyspace,
                         bool want_latency) {
  WorkerInfo w;
  WorkerState& ws = c.svc->local();
  w.clients = ws.conns.size();
  for (const auto& [id, conn] : ws.conns) {
    w.max_input_buffer = std::max<uint64_t>(w.max_input_buffer, conn->QueryBufferBytes());
    w.max_output_buffer = std::max<uint64_t>(w.max_output_buffer, conn->OutputBufferBytes());
  }
  w.blocked_clients = ws.blocked_clients;
  w.total_connections = ws.total_connections;
  w.rejected_connections = ws.rejected_connections;
  w.total_commands = ws.total_commands;
  w.net_input_bytes = ws.net_input_bytes;
  w.net_output_bytes = ws.net_output_bytes;
  w.ops_per_sec = ws.ops_rate.PerSecond();
  w.input_bytes_per_sec = ws.net_in_rate.PerSecond();
  w.output_bytes_per_sec = ws.net_out_rate.PerSecond();
  w.total_error_replies = ws.total_error_replies;
  w.unexpected_error_replies = ws.unexpected_error_replies;
  uint64_t expired = c.shard().expired_keys();
  w.expired_keys = expired >= ws.expired_keys_base ? expired - ws.expired_keys_base : 0;
  w.evicted_keys = ws.evicted_keys;
  w.keyspace_hits = c.shard().stats().keyspace_hits;
  w.keyspace_misses = c.shard().stats().keyspace_misses;
  for (const auto& [code, n] : ws.error_stats) w.errors.emplace_back(code, n);
  if (want_cmd_stats) w.cmd_stats = ws.cmd_stats;
  if (want_latency) {  // commands/latency_family.cc reads the same histograms
    const observe::ShardMetrics& m = c.shard().metrics();
    for (size_t id = 0; id < m.histogram_slots(); ++id) {
      const observe::LatencyHistogram* h = m.FindHistogram(static_cast<int>(id));
      if (h == nullptr || h->total() == 0) continue;
      observe::CommandSnapshot s;
      s.id = static_cast<int>(id);
      s.hist_total = h->total();
      s.hist_sum = h->sum();
      s.hist_max = h->max();
      s.hist = h->Sparse();
      w.latency.push_back(std::move(s));
    }
  }
  if (want_keyspace) {
    for (int i = 0; i < kNumDatabases; ++i) {
      DbTable& db = c.shard().db(i);
      w.dbs[i].keys = db.size();
      w.dbs[i].expires = db.volatile_count();
      w.dbs[i].avg_ttl = db.avg_ttl_hint(c.now_ms);
    }
  }
  return w;
}

void CmdInfo(CmdArgs args, CmdCtx& ctx) {
  InfoRequest req = ParseInfoRequest(args);
  bool cmd_stats = req.commandstats || req.persistence;
  bool keyspace = req.keyspace;
  bool latency = req.latencystats;
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  Service* svc = ctx.svc;
  ctx.svc->RunOnShards<WorkerInfo>(
      ctx, ctx.svc->AllShards(),
      [cmd_stats, keyspace, latency](CmdCtx& c) {
        return CollectWorker(c, cmd_stats, keyspace, latency);
      },
      [pending, svc, req](std::vector<WorkerInfo>& workers) {
        std::string text = BuildInfo(*svc, req, workers);
        pending->Finish([&text](ReplyBuilder& rb) { rb.Verbatim(text); });
      });
}

}  // namespace

void RegisterInfoCommand(Service& svc) {
  svc.Register({Cmd("info", -1, kCmdConn, 0, 0, 0, "", CmdInfo)});
}

}  // namespace kora
