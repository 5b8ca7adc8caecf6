// The text of INFO's sections, with Redis 7.0's section and field names. Fields Kora cannot
// measure are left out rather than invented; latencystats waits for latency histograms.
//
// Memory: used_memory is the exact count of bytes allocated and not freed (core/memory.h);
// used_memory_rss is the resident set size from /proc/self/statm; allocator_* come from
// glibc's mallinfo2. See docs/design/memory.md.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "base/strutil.h"
#include "core/memory.h"
#include "commands/info_family.h"
#include "commands/memory_family.h"
#include "commands/pubsub_hub.h"
#include "commands/script_runner.h"
#include "commands/observe_hook.h"
#include "commands/server_family.h"

namespace kora {
namespace {

// Redis's bytesToHuman.
std::string Human(uint64_t n) { return memory::BytesToHuman(n); }

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// 40 hex digits derived from `seed` (stable for the life of the process).
std::string Hex40(uint64_t seed) {
  std::string out;
  uint64_t x = seed;
  while (out.size() < 40) {
    x += 0x9e3779b97f4a7c15ULL;  // splitmix64
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(z));
    out += buf;
  }
  out.resize(40);
  return out;
}

std::string ExecutablePath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string TimevalText(const timeval& tv) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  return buf;
}

class Writer {
 public:
  void Section(const char* name) {
    if (!out_.empty()) out_ += "\r\n";
    out_ += "# ";
    out_ += name;
    out_ += "\r\n";
  }
  void Field(std::string_view k, std::string_view v) {
    out_.append(k);
    out_ += ':';
    out_.append(v);
    out_ += "\r\n";
  }
  void Field(std::string_view k, int64_t v) { Field(k, Int64ToString(v)); }
  void FieldU(std::string_view k, uint64_t v) { Field(k, std::to_string(v)); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

template <class F>
uint64_t Sum(const std::vector<WorkerInfo>& w, F f) {
  uint64_t n = 0;
  for (const auto& x : w) n += f(x);
  return n;
}

void ServerSection(Writer& o, Service& svc) {
  int64_t now_ms = NowUnixMs();
  int64_t uptime = (now_ms - svc.start_time_ms()) / 1000;
  utsname u{};
  uname(&u);
  o.Section("Server");
  o.Field("redis_version", kRedisVersion);
  o.Field("kora_version", KORA_VERSION);
  o.Field("redis_git_sha1", "00000000");
  o.Field("redis_git_dirty", 0);
  o.Field("redis_mode", "standalone");
  o.Field("os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  o.Field("arch_bits", static_cast<int64_t>(sizeof(void*) * 8));
  o.Field("monotonic_clock", "POSIX clock_gettime");
  o.Field("multiplexing_api", "epoll");
  o.Field("atomicvar_api", "c11-builtin");
#if defined(__GNUC__) && !defined(__clang__)
  o.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
#endif
  o.Field("process_id", static_cast<int64_t>(getpid()));
  o.Field("process_supervised", "no");
  o.Field("run_id", Hex40(static_cast<uint64_t>(svc.start_time_ms()) ^ getpid()));
  o.Field("tcp_port", svc.config().IntValue("port"));
  o.Field("server_time_usec", NowUnixUs());
  o.Field("uptime_in_seconds", uptime);
  o.Field("uptime_in_days", uptime / 86400);
  o.Field("hz", svc.config().Value("hz"));
  o.Field("configured_hz", svc.config().Value("hz"));
  o.Field("lru_clock", static_cast<int64_t>((now_ms / 1000) & ((1 << 24) - 1)));
  o.Field("executable", ExecutablePath());
  std::string cf = svc.options().config_file;
  if (!cf.empty()) {
    if (char* real = realpath(cf.c_str(), nullptr)) {
      cf = real;
      std::free(real);
    }
  }
  o.Field("config_file", cf);
  o.Field("io_threads_active", 0);
  o.Field("kora_workers", static_cast<int64_t>(svc.engine().size()));
}

void ClientsSection(Writer& o, Service& svc, const std::vector<WorkerInfo>& w) {
  o.Section("Clients");
  o.FieldU("connected_clients", Sum(w, [](auto& x) { return x.clients; }));
  o.Field("cluster_connections", 0);
  o.Field("maxclients", svc.config().IntValue("maxclients"));
  uint64_t in = 0, out = 0;
  for (const auto& x : w) {
    in = std::max(in, x.max_input_buffer);
    out = std::max(out, x.max_output_buffer);
  }
  o.FieldU("client_recent_max_input_buffer", in);
  o.FieldU("client_recent_max_output_buffer", out);
  o.FieldU("blocked_clients", Sum(w, [](auto& x) { return x.blocked_clients; }));
  o.Field("tracking_clients", 0);
  o.Field("clients_in_timeout_table", 0);
}

void MemorySection(Writer& o, Service& svc) {
  MemoryGuard& guard = svc.memory_guard();
  uint64_t used = memory::UsedMemory();
  uint64_t peak = NotePeakMemory(svc, used);
  memory::AllocatorInfo a = memory::GetAllocatorInfo();
  uint64_t rss = a.resident;
  uint64_t startup = guard.startup_bytes();
  uint64_t overhead = startup + guard.PublishedOverhead() + guard.PublishedClients();
  uint64_t dataset = used > overhead ? used - overhead : 0;
  uint64_t net = used > startup ? used - startup : 1;
  uint64_t total =
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  int64_t maxmemory = svc.config().IntValue("maxmemory");
  auto ratio = [](uint64_t x, uint64_t y) {
    return Fixed(static_cast<double>(x) / static_cast<double>(y ? y : 1), 2);
  };
  auto diff = [](uint64_t x, uint64_t y) {
    return static_cast<int64_t>(x) - static_cast<int64_t>(y);
  };
  o.Section("Memory");
  o.FieldU("used_memory", used);
  o.Field("used_memory_human", Human(used));
  o.FieldU("used_memory_rss", rss);
  o.Field("used_memory_rss_human", Human(rss));
  o.FieldU("used_memory_peak", peak);
  o.Field("used_memory_peak_human", Human(peak));
  o.Field("used_memory_peak_perc",
          Fixed(peak ? 100.0 * static_cast<double>(used) / static_cast<double>(peak) : 0, 2) + "%");
  o.FieldU("used_memory_overhead", overhead);
  o.FieldU("used_memory_startup", startup);
  o.FieldU("used_memory_dataset", dataset);
  o.Field("used_memory_dataset_perc",
          Fixed(100.0 * static_cast<double>(dataset) / static_cast<double>(net), 2) + "%");
  o.FieldU("allocator_allocated", a.allocated);
  o.FieldU("allocator_active", a.active);
  o.FieldU("allocator_resident", a.resident);
  o.FieldU("total_system_memory", total);
  o.Field("total_system_memory_human", Human(total));
  Scripting::Stats lua = GetScripting(svc).GetStats();
  o.FieldU("used_memory_lua", lua.vm_eval_bytes);
  o.FieldU("used_memory_vm_eval", lua.vm_eval_bytes);
  o.Field("used_memory_lua_human", Human(lua.vm_eval_bytes));
  o.FieldU("used_memory_scripts_eval", lua.scripts_bytes);
  o.FieldU("number_of_cached_scripts", lua.cached_scripts);
  o.FieldU("number_of_functions", lua.functions);
  o.FieldU("number_of_libraries", lua.libraries);
  o.FieldU("used_memory_vm_functions", lua.vm_functions_bytes);
  o.FieldU("used_memory_vm_total", lua.vm_eval_bytes + lua.vm_functions_bytes);
  o.Field("used_memory_vm_total_human", Human(lua.vm_eval_bytes + lua.vm_functions_bytes));
  o.FieldU("used_memory_functions", lua.functions_bytes);
  o.FieldU("used_memory_scripts", lua.scripts_bytes + lua.functions_bytes);
  o.Field("used_memory_scripts_human", Human(lua.scripts_bytes + lua.functions_bytes));
  o.Field("maxmemory", maxmemory);
  o.Field("maxmemory_human", Human(static_cast<uint64_t>(maxmemory)));
  o.Field("maxmemory_policy", svc.config().Value("maxmemory-policy"));
  o.Field("allocator_frag_ratio", ratio(a.active, a.allocated));
  o.Field("allocator_frag_bytes", diff(a.active, a.allocated));
  o.Field("allocator_rss_ratio", ratio(a.resident, a.active));
  o.Field("allocator_rss_bytes", diff(a.resident, a.active));
  o.Field("rss_overhead_ratio", ratio(rss, a.resident));
  o.Field("rss_overhead_bytes", diff(rss, a.resident));
  o.Field("mem_fragmentation_ratio", ratio(rss, used));
  o.Field("mem_fragmentation_bytes", diff(rss, used));
  o.FieldU("mem_not_counted_for_evict", memory::InTransit());
  o.Field("mem_replication_backlog", 0);
  o.Field("mem_total_replication_buffers", 0);
  o.Field("mem_clients_slaves", 0);
  o.FieldU("mem_clients_normal", guard.PublishedClients());
  o.Field("mem_cluster_links", 0);
  o.Field("mem_aof_buffer", 0);
  o.Field("mem_allocator", "libc");
  o.Field("active_defrag_running", 0);
  o.Field("lazyfree_pending_objects", 0);
  o.Field("lazyfreed_objects", 0);
}

void PersistenceSection(Writer& o, Service& svc, const std::vector<WorkerInfo>& w) {
  // No persistence yet: every successful write since start counts as an unsaved change.
  uint64_t changes = 0;
  const auto& specs = svc.all_specs();
  for (const auto& x : w) {
    for (size_t i = 0; i < x.cmd_stats.size() && i < specs.size(); ++i) {
      if (specs[i]->flags & kCmdWrite) changes += x.cmd_stats[i].calls - x.cmd_stats[i].failed;
    }
  }
  o.Section("Persistence");
  o.Field("loading", 0);
  o.Field("async_loading", 0);
  o.FieldU("rdb_changes_since_last_save", changes);
  o.Field("rdb_bgsave_in_progress", 0);
  o.Field("rdb_last_save_time", svc.start_time_ms() / 1000);
  o.Field("rdb_last_bgsave_status", "ok");
  o.Field("rdb_last_bgsave_time_sec", -1);
  o.Field("rdb_current_bgsave_time_sec", -1);
  o.Field("rdb_saves", 0);
  o.Field("aof_enabled", 0);
  o.Field("aof_rewrite_in_progress", 0);
  o.Field("aof_rewrite_scheduled", 0);
  o.Field("aof_last_rewrite_time_sec", -1);
  o.Field("aof_current_rewrite_time_sec", -1);
  o.Field("aof_last_bgrewrite_status", "ok");
  o.Field("aof_rewrites", 0);
  o.Field("aof_last_write_status", "ok");
}

void StatsSection(Writer& o, Service& svc, const std::vector<WorkerInfo>& w) {
  o.Section("Stats");
  o.FieldU("total_connections_received", Sum(w, [](auto& x) { return x.total_connections; }));
  o.FieldU("total_commands_processed", Sum(w, [](auto& x) { return x.total_commands; }));
  o.FieldU("instantaneous_ops_per_sec", Sum(w, [](auto& x) { return x.ops_per_sec; }));
  o.FieldU("total_net_input_bytes", Sum(w, [](auto& x) { return x.net_input_bytes; }));
  o.FieldU("total_net_output_bytes", Sum(w, [](auto& x) { return x.net_output_bytes; }));
  o.Field("total_net_repl_input_bytes", 0);
  o.Field("total_net_repl_output_bytes", 0);
  double in_kbps = static_cast<double>(Sum(w, [](auto& x) { return x.input_bytes_per_sec; }));
  double out_kbps = static_cast<double>(Sum(w, [](auto& x) { return x.output_bytes_per_sec; }));
  o.Field("instantaneous_input_kbps", Fixed(in_kbps / 1024, 2));
  o.Field("instantaneous_output_kbps", Fixed(out_kbps / 1024, 2));
  o.Field("instantaneous_input_repl_kbps", "0.00");
  o.Field("instantaneous_output_repl_kbps", "0.00");
  o.FieldU("rejected_connections", Sum(w, [](auto& x) { return x.rejected_connections; }));
  o.Field("sync_full", 0);
  o.Field("sync_partial_ok", 0);
  o.Field("sync_partial_err", 0);
  o.FieldU("expired_keys", Sum(w, [](auto& x) { return x.expired_keys; }));
  o.FieldU("evicted_keys", Sum(w, [](auto& x) { return x.evicted_keys; }));
  o.Field("evicted_clients", 0);
  o.FieldU("total_eviction_exceeded_time", svc.memory_guard().ExceededTotalMs());
  o.FieldU("current_eviction_exceeded_time", svc.memory_guard().ExceededCurrentMs());
  o.FieldU("keyspace_hits", Sum(w, [](auto& x) { return x.keyspace_hits; }));
  o.FieldU("keyspace_misses", Sum(w, [](auto& x) { return x.keyspace_misses; }));
  o.Field("pubsub_channels", svc.pubsub().Count(SubKind::kChannel));
  o.Field("pubsub_patterns", svc.pubsub().Count(SubKind::kPattern));
  o.Field("pubsubshard_channels", svc.pubsub().Count(SubKind::kShard));
  o.Field("latest_fork_usec", 0);
  o.Field("total_forks", 0);
  o.FieldU("unexpected_error_replies", Sum(w, [](auto& x) { return x.unexpected_error_replies; }));
  o.FieldU("total_error_replies", Sum(w, [](auto& x) { return x.total_error_replies; }));
}

void ReplicationSection(Writer& o, Service& svc) {
  o.Section("Replication");
  o.Field("role", "master");
  o.Field("connected_slaves", 0);
  o.Field("master_failover_state", "no-failover");
  o.Field("master_replid", Hex40(static_cast<uint64_t>(svc.start_time_ms()) * 31 + getpid()));
  o.Field("master_replid2", std::string(40, '0'));
  o.Field("master_repl_offset", 0);
  o.Field("second_repl_offset", -1);
  o.Field("repl_backlog_active", 0);
  o.Field("repl_backlog_size", svc.config().IntValue("repl-backlog-size"));
  o.Field("repl_backlog_first_byte_offset", 0);
  o.Field("repl_backlog_histlen", 0);
}

void CpuSection(Writer& o) {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  o.Section("CPU");
  o.Field("used_cpu_sys", TimevalText(self.ru_stime));
  o.Field("used_cpu_user", TimevalText(self.ru_utime));
  o.Field("used_cpu_sys_children", TimevalText(children.ru_stime));
  o.Field("used_cpu_user_children", TimevalText(children.ru_utime));
}

void CommandStatsSection(Writer& o, Service& svc, const std::vector<WorkerInfo>& w) {
  o.Section("Commandstats");
  const auto& specs = svc.all_specs();
  for (size_t i = 0; i < specs.size(); ++i) {
    CmdStat t;
    for (const auto& x : w) {
      if (i >= x.cmd_stats.size()) continue;
      t.calls += x.cmd_stats[i].calls;
      t.usec += x.cmd_stats[i].usec;
      t.rejected += x.cmd_stats[i].rejected;
      t.failed += x.cmd_stats[i].failed;
    }
    if (t.calls == 0 && t.rejected == 0 && t.failed == 0) continue;
    double per = t.calls ? static_cast<double>(t.usec) / static_cast<double>(t.calls) : 0;
    o.Field("cmdstat_" + specs[i]->name,
            "calls=" + std::to_string(t.calls) + ",usec=" + std::to_string(t.usec) +
                ",usec_per_call=" + Fixed(per, 2) + ",rejected_calls=" +
                std::to_string(t.rejected) + ",failed_calls=" + std::to_string(t.failed));
  }
}

void ErrorStatsSection(Writer& o, const std::vector<WorkerInfo>& w) {
  std::map<std::string, uint64_t> all;  // Redis lists them sorted (a radix tree)
  for (const auto& x : w) {
    for (const auto& [code, n] : x.errors) all[code] += n;
  }
  o.Section("Errorstats");
  for (const auto& [code, n] : all) o.Field("errorstat_" + code, "count=" + std::to_string(n));
}

// latency_percentiles_usec_<cmd>:p50=..,p99=..,p99.9=.. from the workers' histograms.
void LatencyStatsSection(Writer& o, Service& svc, const std::vector<WorkerInfo>& w) {
  std::map<int, observe::LatencyHistogram> merged;
  for (const auto& x : w) {
    for (const auto& s : x.latency) merged[s.id].MergeSparse(s.hist, s.hist_sum, s.hist_max);
  }
  std::vector<double> ps = InfoPercentiles(svc);
  o.Section("Latencystats");
  for (const auto& [id, h] : merged) {
    o.Field("latency_percentiles_usec_" + svc.all_specs()[id]->name, FormatPercentiles(h, ps));
  }
}

void KeyspaceSection(Writer& o, const std::vector<WorkerInfo>& w) {
  o.Section("Keyspace");
  for (int db = 0; db < kNumDatabases; ++db) {
    uint64_t keys = 0, expires = 0;
    long double ttl_weighted = 0;
    for (const auto& x : w) {
      keys += x.dbs[db].keys;
      expires += x.dbs[db].expires;
      ttl_weighted += static_cast<long double>(x.dbs[db].avg_ttl) * x.dbs[db].expires;
    }
    if (keys == 0) continue;
    int64_t avg_ttl = expires ? static_cast<int64_t>(ttl_weighted / expires) : 0;
    o.Field("db" + std::to_string(db), "keys=" + std::to_string(keys) +
                                           ",expires=" + std::to_string(expires) +
                                           ",avg_ttl=" + std::to_string(avg_ttl));
  }
}

}  // namespace

std::string BuildInfo(Service& svc, const InfoRequest& r, const std::vector<WorkerInfo>& w) {
  Writer o;
  if (r.server) ServerSection(o, svc);
  if (r.clients) ClientsSection(o, svc, w);
  if (r.memory) MemorySection(o, svc);
  if (r.persistence) PersistenceSection(o, svc, w);
  if (r.stats) StatsSection(o, svc, w);
  if (r.replication) ReplicationSection(o, svc);
  if (r.cpu) CpuSection(o);
  if (r.modules) o.Section("Modules");
  if (r.commandstats) CommandStatsSection(o, svc, w);
  if (r.errorstats) ErrorStatsSection(o, w);
  if (r.latencystats) LatencyStatsSection(o, svc, w);
  if (r.cluster) {
    o.Section("Cluster");
    o.Field("cluster_enabled", 0);
  }
  if (r.keyspace) KeyspaceSection(o, w);
  return std::move(o.out());
}

}  // namespace kora
