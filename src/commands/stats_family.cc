// Kora's own observability commands, STATS.HOTKEYS and STATS.LATENCY, plus the glue the other
// observability views share: reading the settings, collecting histograms from the workers, and
// the per-worker timer that decays the hot-key counts and publishes the snapshot the metrics
// HTTP server reads. Reply shapes: docs/design/observability.md.
#include <algorithm>
#include <cstdio>

#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/info_family.h"
#include "commands/observe_hook.h"
#include "commands/server_family.h"
#include "core/memory.h"

namespace kora {

void RefreshObserveSettings(Service& svc, observe::ShardMetrics& m) {
  ConfigStore& c = svc.config();
  uint64_t gen = c.generation();  // before the values: a change meanwhile reloads again
  observe::ObserveSettings s;
  s.enabled = c.Value("kora-instrumentation") != "no";
  s.latency_tracking = c.Value("latency-tracking") != "no";
  s.slower_than_us = c.IntValue("slowlog-log-slower-than");
  int64_t max_len = c.IntValue("slowlog-max-len");
  s.slowlog_max_len = max_len > 0 ? static_cast<size_t>(max_len) : 0;
  s.monitor_threshold_ms = c.IntValue("latency-monitor-threshold");
  s.hotkeys_decay_ms = c.IntValue("kora-hotkeys-decay-seconds") * 1000;
  int64_t rate = c.IntValue("kora-hotkeys-sample-rate");
  s.hotkeys_sample = 1;
  while (s.hotkeys_sample * 2 <= rate) s.hotkeys_sample *= 2;  // rounded down to a power of 2
  m.settings = s;
  m.settings_generation = gen;
}

void SyncPrefixMemory(Service& svc, Shard& shard) {
  ConfigStore& c = svc.config();
  std::string sep = c.Value("kora-memory-prefix-separator");
  shard.ConfigurePrefixMemory(sep.empty() ? ':' : sep[0],
                              static_cast<int>(c.IntValue("kora-memory-prefix-depth")));
  shard.FlushPrefixMemory();
}

const CommandSpec* FindCommandByFullName(Service& svc, std::string_view name) {
  size_t bar = name.find('|');
  const CommandSpec* spec = svc.Find(name.substr(0, bar));
  if (spec == nullptr || bar == std::string_view::npos) return spec;
  std::string full = spec->name + "|" + ToLower(name.substr(bar + 1));
  for (const auto& sub : spec->subcommands) {
    if (sub.name == full) return &sub;
  }
  return nullptr;
}

namespace {

struct SparseHist {
  int id;
  uint64_t sum;
  int64_t max;
  std::vector<std::pair<uint32_t, uint64_t>> counts;
};

}  // namespace

void CollectHistograms(CmdCtx& ctx, std::vector<int> ids,
                       absl::AnyInvocable<void(HistogramMap&)> done) {
  auto wanted = std::make_shared<const std::vector<int>>(std::move(ids));
  ctx.svc->RunOnShards<std::vector<SparseHist>>(
      ctx, ctx.svc->AllShards(),
      [wanted](CmdCtx& c) {
        std::vector<SparseHist> out;
        observe::ShardMetrics& m = c.shard().metrics();
        auto add = [&](int id) {
          const observe::LatencyHistogram* h = m.FindHistogram(id);
          if (h != nullptr && h->total() > 0) out.push_back({id, h->sum(), h->max(), h->Sparse()});
        };
        if (wanted->empty()) {
          for (size_t id = 0; id < m.histogram_slots(); ++id) add(static_cast<int>(id));
        } else {
          for (int id : *wanted) add(id);
        }
        return out;
      },
      [done = std::move(done)](std::vector<std::vector<SparseHist>>& parts) mutable {
        HistogramMap merged;
        for (auto& part : parts) {
          for (auto& s : part) merged[s.id].MergeSparse(s.counts, s.sum, s.max);
        }
        done(merged);
      });
}

std::vector<double> InfoPercentiles(Service& svc) {
  std::vector<double> ps;
  std::string v = svc.config().Value("latency-tracking-info-percentiles");
  size_t pos = 0;
  while (pos < v.size()) {
    size_t sp = v.find(' ', pos);
    if (sp == std::string::npos) sp = v.size();
    double d;
    if (sp > pos && ParseDouble(std::string_view(v).substr(pos, sp - pos), &d)) ps.push_back(d);
    pos = sp + 1;
  }
  return ps;
}

std::string FormatPercentiles(const observe::LatencyHistogram& h, const std::vector<double>& ps) {
  std::string out;
  for (double p : ps) {
    char name[64], val[64];
    std::snprintf(name, sizeof(name), "%f", p);
    std::string n = name;  // Redis's trimDoubleString: "50.000000" -> "50"
    if (n.find('.') != std::string::npos) {
      while (n.back() == '0') n.pop_back();
      if (n.back() == '.') n.pop_back();
    }
    int64_t us = h.ValueAtPercentile(p);
    // Redis records at least 1 ns; a sub-microsecond command shows as 0.001.
    std::snprintf(val, sizeof(val), "%.3f", us == 0 ? 0.001 : static_cast<double>(us));
    if (!out.empty()) out += ',';
    out += "p" + n + "=" + val;
  }
  return out;
}

namespace {

// Milliseconds with microsecond precision, as STATS.LATENCY reports them.
std::string Ms(int64_t us) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(us) / 1000.0);
  return buf;
}

// STATS.HOTKEYS [count]: the heaviest keys of all shards with their estimated hits.
void CmdStatsHotkeys(CmdArgs args, CmdCtx& ctx) {
  int64_t count = 10;
  if (args.size() > 2) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  if (args.size() == 2 && (!ParseInt64(args[1], &count) || count <= 0)) {
    ctx.rb->Error("ERR count must be a positive integer");
    return;
  }
  size_t n = static_cast<size_t>(count);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<std::vector<observe::HotKey>>(
      ctx, ctx.svc->AllShards(),
      [n](CmdCtx& c) { return c.shard().metrics().hot_keys().Top(n); },
      [pending, n](std::vector<std::vector<observe::HotKey>>& parts) {
        std::vector<observe::HotKey> all;
        for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(all));
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
          return a.hits != b.hits ? a.hits > b.hits : a.key < b.key;
        });
        if (all.size() > n) all.resize(n);
        pending->Finish([&all](ReplyBuilder& rb) {
          rb.ArrayHeader(static_cast<int64_t>(all.size()));
          for (const auto& hk : all) {
            rb.ArrayHeader(2);
            rb.Bulk(hk.key);
            rb.Integer(static_cast<int64_t>(hk.hits));
          }
        });
      });
}

void WriteLatencySummary(ReplyBuilder& rb, const observe::LatencyHistogram* h) {
  static const std::pair<const char*, double> kPs[] = {
      {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}};
  rb.MapHeader(6);
  rb.Bulk("count");
  rb.Integer(h ? static_cast<int64_t>(h->total()) : 0);
  for (const auto& [name, p] : kPs) {
    rb.Bulk(name);
    rb.Bulk(Ms(h ? h->ValueAtPercentile(p) : 0));
  }
  rb.Bulk("max");
  rb.Bulk(Ms(h ? h->max() : 0));
}

// STATS.LATENCY                 -> map: command -> summary, for every command with calls
// STATS.LATENCY cmd             -> summary {count, p50, p90, p99, p99.9, max} (ms)
// STATS.LATENCY cmd p [p ...]   -> the latency (ms) at each percentile
void CmdStatsLatency(CmdArgs args, CmdCtx& ctx) {
  std::vector<int> ids;
  std::vector<double> ps;
  const CommandSpec* spec = nullptr;
  if (args.size() >= 2) {
    spec = FindCommandByFullName(*ctx.svc, args[1]);
    if (spec == nullptr) {
      ctx.rb->Error("ERR unknown command '" + std::string(args[1].substr(0, 128)) + "'");
      return;
    }
    ids.push_back(spec->id);
    for (const auto& sub : spec->subcommands) ids.push_back(sub.id);
    for (size_t i = 2; i < args.size(); ++i) {
      double p;
      if (!ParseDouble(args[i], &p) || p < 0 || p > 100) {
        ctx.rb->Error("ERR percentile must be a number between 0 and 100");
        return;
      }
      ps.push_back(p);
    }
  }
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  Service* svc = ctx.svc;
  bool one = spec != nullptr;
  CollectHistograms(ctx, ids, [pending, svc, one, ps](HistogramMap& hs) {
    pending->Finish([&](ReplyBuilder& rb) {
      if (!one) {
        rb.MapHeader(static_cast<int64_t>(hs.size()));
        for (const auto& [id, h] : hs) {
          rb.Bulk(svc->all_specs()[id]->name);
          WriteLatencySummary(rb, &h);
        }
        return;
      }
      observe::LatencyHistogram total;
      for (const auto& [id, h] : hs) total.Merge(h);
      if (ps.empty()) {
        WriteLatencySummary(rb, &total);
        return;
      }
      rb.ArrayHeader(static_cast<int64_t>(ps.size()));
      for (double p : ps) rb.Bulk(Ms(total.ValueAtPercentile(p)));
    });
  });
}

// STATS.MEMORY prefix [prefix ...]: the bytes (MEMORY USAGE, summed over the keys of the
// current database whose names start with the prefix) under each prefix. A prefix names a
// node of the trie: it ends with the separator ("user" is taken as "user:"), at most
// kora-memory-prefix-depth segments deep; the empty prefix is every key.
void CmdStatsMemory(CmdArgs args, CmdCtx& ctx) {
  ConfigStore& c = ctx.svc->config();
  std::string sep = c.Value("kora-memory-prefix-separator");
  int64_t depth = c.IntValue("kora-memory-prefix-depth");
  if (depth <= 0) {
    ctx.rb->Error("ERR memory by prefix is off (kora-memory-prefix-depth is 0)");
    return;
  }
  auto prefixes = std::make_shared<std::vector<std::string>>();
  for (size_t i = 1; i < args.size(); ++i) {
    std::string p(args[i]);
    if (!p.empty() && p.back() != sep[0]) p += sep[0];
    if (std::count(p.begin(), p.end(), sep[0]) > depth) {
      ctx.rb->Error("ERR prefix '" + std::string(args[i].substr(0, 128)) +
                    "' is deeper than kora-memory-prefix-depth (" + std::to_string(depth) + ")");
      return;
    }
    prefixes->push_back(std::move(p));
  }
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  Service* svc = ctx.svc;
  ctx.svc->RunOnShards<std::vector<int64_t>>(
      ctx, ctx.svc->AllShards(),
      [svc, prefixes](CmdCtx& c) {
        SyncPrefixMemory(*svc, c.shard());
        std::vector<int64_t> out;
        const PrefixMemory* pm = c.db().prefix_memory();
        for (const auto& p : *prefixes) out.push_back(pm ? pm->Get(p).bytes : 0);
        return out;
      },
      [pending, prefixes](std::vector<std::vector<int64_t>>& parts) {
        std::vector<int64_t> sum(prefixes->size(), 0);
        for (const auto& part : parts) {
          for (size_t i = 0; i < part.size() && i < sum.size(); ++i) sum[i] += part[i];
        }
        pending->Finish([&sum](ReplyBuilder& rb) {
          rb.ArrayHeader(static_cast<int64_t>(sum.size()));
          for (int64_t b : sum) rb.Integer(b);
        });
      });
}

// The largest top-level prefixes of database 0, for the dashboard and /metrics.
void SnapshotPrefixes(Shard& shard, observe::WorkerSnapshot& s) {
  const PrefixMemory* pm = shard.db(0).prefix_memory();
  if (pm == nullptr) return;
  pm->ForEachAtLevel(1, [&s](std::string_view prefix, const PrefixTotals& t) {
    s.prefixes.push_back({std::string(prefix), t.bytes, t.keys});
  });
  constexpr size_t kMax = 64;
  if (s.prefixes.size() > kMax) {
    std::partial_sort(s.prefixes.begin(), s.prefixes.begin() + kMax, s.prefixes.end(),
                      [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
    s.prefixes.resize(kMax);
  }
}

// Copies this worker's counters into a snapshot for the metrics HTTP thread.
void PublishSnapshot(Service& svc, int worker) {
  Shard& shard = svc.engine().worker(worker).shard();
  if (!shard.cron_paused()) SyncPrefixMemory(svc, shard);
  WorkerState& ws = svc.state_of(worker);
  observe::ShardMetrics& m = shard.metrics();
  if (m.settings_generation != svc.config().generation()) RefreshObserveSettings(svc, m);
  int64_t now = NowUnixMs();
  m.MaybeDecay(now);
  auto s = std::make_shared<observe::WorkerSnapshot>();
  s->time_ms = now;
  s->clients = ws.conns.size();
  s->total_connections = ws.total_connections;
  s->rejected_connections = ws.rejected_connections;
  s->total_commands = ws.total_commands;
  s->ops_per_sec = ws.ops_rate.PerSecond();
  s->net_input_bytes = ws.net_input_bytes;
  s->net_output_bytes = ws.net_output_bytes;
  s->keyspace_hits = shard.stats().keyspace_hits;
  s->keyspace_misses = shard.stats().keyspace_misses;
  uint64_t expired = shard.expired_keys();
  s->expired_keys = expired >= ws.expired_keys_base ? expired - ws.expired_keys_base : 0;
  s->evicted_keys = ws.evicted_keys;
  s->total_error_replies = ws.total_error_replies;
  s->blocked_clients = ws.blocked_clients;
  for (int db = 0; db < kNumDatabases && db < 16; ++db) {
    s->db_keys[db] = shard.db(db).size();
    s->db_expires[db] = shard.db(db).volatile_count();
  }
  for (size_t id = 0; id < ws.cmd_stats.size(); ++id) {
    const CmdStat& st = ws.cmd_stats[id];
    const observe::LatencyHistogram* h = m.FindHistogram(static_cast<int>(id));
    if (st.calls == 0 && st.rejected == 0 && st.failed == 0 && (!h || h->total() == 0)) continue;
    observe::CommandSnapshot c;
    c.id = static_cast<int>(id);
    c.calls = st.calls;
    c.usec = st.usec;
    c.rejected = st.rejected;
    c.failed = st.failed;
    if (h != nullptr) {
      c.hist_total = h->total();
      c.hist_sum = h->sum();
      c.hist_max = h->max();
      c.hist = h->Sparse();
    }
    s->commands.push_back(std::move(c));
  }
  s->hot_keys = m.hot_keys().Top(32);
  SnapshotPrefixes(shard, *s);
  for (const auto& [code, n] : ws.error_stats) s->errors.emplace_back(code, n);
  if (worker == 0) {
    s->used_memory = memory::UsedMemory();  // as INFO's used_memory
  }
  m.Publish(std::move(s));
}

}  // namespace

void RegisterStatsFamily(Service& svc) {
  using P = ConfigStore::Param;
  ConfigStore& c = svc.config();
  // Kora's own parameters; hidden from CONFIG GET patterns (Redis's list stays unchanged).
  c.Define(P{"kora-instrumentation", {}, "yes", "yes", ConfigStore::Bool(), ConfigStore::kHidden});
  c.Define(P{"kora-hotkeys-decay-seconds", {}, "60", "60", ConfigStore::Int(0, 86400 * 365),
             ConfigStore::kHidden});
  c.Define(P{"kora-hotkeys-sample-rate", {}, "8", "8", ConfigStore::Int(1, 1024),
             ConfigStore::kHidden});
  // Memory by key prefix (STATS.MEMORY): the separator (one character) and how many segments
  // deep prefixes are tracked; 0 turns it off.
  // A change is applied on every shard right away (rebuilding the tries), not at the next
  // timer tick, so that what follows CONFIG SET sees it.
  auto resync = [&svc](const std::string&) {
    for (int i = 0; i < svc.engine().size(); ++i) {
      Worker& w = svc.engine().worker(i);
      w.PostExternal([&svc, &w] { SyncPrefixMemory(svc, w.shard()); });
    }
  };
  c.Define(P{"kora-memory-prefix-separator", {}, ":", ":",
             [](std::string* v) -> std::string {
               return v->size() == 1 ? "" : "one character";
             },
             ConfigStore::kHidden, resync});
  c.Define(P{"kora-memory-prefix-depth", {}, "2", "2", ConfigStore::Int(0, 16),
             ConfigStore::kHidden, resync});
  for (int i = 0; i < svc.engine().size(); ++i) {
    // Runs on worker i's thread; adding it is safe because the engine has not started yet.
    SyncPrefixMemory(svc, svc.engine().worker(i).shard());
    svc.engine().worker(i).loop().AddTimer(1000, [&svc, i] { PublishSnapshot(svc, i); });
  }
  svc.Register({
      Cmd("stats.hotkeys", -1, kCmdConn | kCmdReadOnly, 0, 0, 0, "read slow", CmdStatsHotkeys),
      Cmd("stats.latency", -1, kCmdConn | kCmdReadOnly, 0, 0, 0, "read slow", CmdStatsLatency),
      Cmd("stats.memory", -2, kCmdConn | kCmdReadOnly, 0, 0, 0, "read slow", CmdStatsMemory),
  });
}

}  // namespace kora
