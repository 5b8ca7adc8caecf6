// The CONFIG parameters Kora knows, with Redis 7.0's names, aliases, defaults and validation.
//
// Every parameter that Redis's clients and test suites commonly read or set is defined, so
// CONFIG GET/SET work for them. A parameter stores its value; it changes Kora's behaviour only
// where a subsystem reads it (noted per group below).
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "base/logging.h"
#include "base/strutil.h"
#include "commands/config.h"
#include "commands/families.h"
#include "commands/notify.h"
#include "commands/memory_family.h"
#include "commands/service.h"

namespace kora {
namespace {

using P = ConfigStore::Param;
using V = ConfigStore::Validator;

std::vector<std::string> SplitSpaces(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// strtoll over the whole token, as Redis parses save points and buffer limits.
bool WholeLL(const std::string& t, long long* out) {
  if (t.empty()) return false;
  char* end = nullptr;
  *out = std::strtoll(t.c_str(), &end, 10);
  return *end == '\0';
}

// "save": pairs of <seconds> <changes> separated by single spaces; "" disables.
V SaveParams() {
  return [](std::string* v) -> std::string {
    std::vector<std::string> t;
    for (size_t i = 0; !v->empty() && i <= v->size();) {
      size_t sp = std::min(v->find(' ', i), v->size());
      t.push_back(v->substr(i, sp - i));
      i = sp + 1;
    }
    if (t.size() % 2 != 0) return "Invalid save parameters";
    std::string norm;
    for (size_t i = 0; i < t.size(); i += 2) {
      long long secs, changes;
      if (!WholeLL(t[i], &secs) || !WholeLL(t[i + 1], &changes) || secs < 1 || changes < 0) {
        return "Invalid save parameters";
      }
      if (!norm.empty()) norm += ' ';
      norm += std::to_string(secs) + " " + std::to_string(changes);
    }
    *v = norm;
    return "";
  };
}

// "notify-keyspace-events": Redis's class letters, shown normalised (keyspaceEventsFlagsToString).
V KeyspaceEvents() {
  return [](std::string* v) -> std::string {
    constexpr std::string_view kClasses = "g$lshzxetdn";  // output order of the type classes
    constexpr std::string_view kAll = "g$lshzxetd";       // what 'A' stands for
    std::string seen;
    bool ks = false, ke = false, miss = false;
    for (char ch : *v) {
      if (ch == 'A') {
        seen += kAll;
      } else if (kClasses.find(ch) != std::string_view::npos) {
        seen += ch;
      } else if (ch == 'K') {
        ks = true;
      } else if (ch == 'E') {
        ke = true;
      } else if (ch == 'm') {
        miss = true;
      } else {
        return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
      }
    }
    bool all = true;
    for (char ch : kAll) all = all && seen.find(ch) != std::string::npos;
    std::string out;
    if (all) {
      out = "A";  // Redis drops 'n' here too
    } else {
      for (char ch : kClasses) {
        if (seen.find(ch) != std::string::npos) out += ch;
      }
    }
    if (ks) out += 'K';
    if (ke) out += 'E';
    if (miss) out += 'm';
    *v = out;
    return "";
  };
}

// The committed value of a parameter whose validator merges into it.
struct SharedValue {
  std::mutex mu;
  std::string value;  // GUARDED_BY(mu)
  std::string Get() {
    std::lock_guard<std::mutex> lk(mu);
    return value;
  }
  void Set(const std::string& v) {
    std::lock_guard<std::mutex> lk(mu);
    value = v;
  }
};

// "client-output-buffer-limit": <class> <hard> <soft> <seconds> groups, merged into the
// current limits of the three classes.
V OutputBufferLimits(std::shared_ptr<SharedValue> current) {
  return [current](std::string* v) -> std::string {
    auto t = SplitSpaces(*v);
    if (t.size() % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
    const char* kNames[3] = {"normal", "slave", "pubsub"};
    std::string cur[3][3];
    auto old = SplitSpaces(current->Get());
    for (int c = 0; c < 3; ++c) {
      for (int k = 0; k < 3; ++k) cur[c][k] = old.size() == 12 ? old[c * 4 + 1 + k] : "0";
    }
    for (size_t i = 0; i < t.size(); i += 4) {
      std::string cls = ToLower(t[i]);
      int c = cls == "normal"                        ? 0
              : (cls == "slave" || cls == "replica") ? 1
              : cls == "pubsub"                      ? 2
                                                     : -1;
      if (c < 0) return "Invalid client class specified in buffer limit configuration.";
      int64_t hard, soft;
      long long secs;
      if (!ConfigStore::ParseMemory(t[i + 1], &hard) ||
          !ConfigStore::ParseMemory(t[i + 2], &soft) || !WholeLL(t[i + 3], &secs) || hard < 0 ||
          soft < 0 || secs < 0) {
        return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      }
      cur[c][0] = std::to_string(hard);
      cur[c][1] = std::to_string(soft);
      cur[c][2] = std::to_string(secs);
    }
    std::string out;
    for (int c = 0; c < 3; ++c) {
      if (c) out += ' ';
      out += std::string(kNames[c]) + " " + cur[c][0] + " " + cur[c][1] + " " + cur[c][2];
    }
    *v = out;
    return "";
  };
}

// "latency-tracking-info-percentiles": numbers between 0 and 100.
V Percentiles() {
  return [](std::string* v) -> std::string {
    for (const auto& t : SplitSpaces(*v)) {
      double d;
      if (!ParseDouble(t, &d)) return "Invalid latency-tracking-info-percentiles parameters";
      if (d < 0 || d > 100) {
        return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
      }
    }
    return "";
  };
}

// "hz": any integer, clamped to 1..500 as Redis does.
V Hz() {
  return [](std::string* v) -> std::string {
    int64_t n;
    if (!ParseInt64(*v, &n)) return "argument couldn't be parsed into an integer";
    if (n < 0 || n > INT_MAX) return "argument must be between 0 and 2147483647 inclusive";
    *v = std::to_string(n < 1 ? 1 : n > 500 ? 500 : n);
    return "";
  };
}

// "maxmemory-clients": bytes (with units) or a percentage of maxmemory ("10%").
V MemoryOrPercent() {
  return [](std::string* v) -> std::string {
    if (!v->empty() && v->back() == '%') {
      int64_t pct;
      if (!ParseInt64(std::string_view(*v).substr(0, v->size() - 1), &pct) || pct < 0) {
        return "argument must be a memory or percent value";
      }
      if (pct > 100) return "percentage argument must be less or equal to 100";
      return "";
    }
    int64_t n;
    if (v->empty() || (*v)[0] == '-' || !ConfigStore::ParseMemory(*v, &n)) {
      return "argument must be a memory or percent value";
    }
    *v = std::to_string(n);
    return "";
  };
}

// "activedefrag": Kora's allocator cannot defragment, so only "no" is accepted (the answer of a
// Redis built without its modified jemalloc).
V NoDefrag() {
  return [](std::string* v) -> std::string {
    std::string err = ConfigStore::Bool()(v);
    if (!err.empty() || *v == "no") return err;
    return "Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
           "modified Jemalloc like the one shipped by default with the Redis source distribution";
  };
}

// Redis 7.0 refuses runtime changes of its protected parameters (dir, dbfilename) unless
// enable-protected-configs is set, which Kora does not offer.
V Protected() {
  return [](std::string*) -> std::string { return "can't set protected config"; };
}

std::string CurrentDir() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) ? std::string(buf) : std::string(".");
}

}  // namespace

void DefineConfigParams(Service& svc) {
  ConfigStore& c = svc.config();
  const int64_t kLong = INT64_MAX;
  const uint32_t kImm = ConfigStore::kImmutable;
  auto def = [&](const char* name, std::vector<std::string> aliases, std::string value, V v,
                 uint32_t flags = 0) {
    c.Define(P{name, std::move(aliases), value, value, std::move(v), flags});
  };
  auto B = ConfigStore::Bool;
  auto I = ConfigStore::Int;
  auto M = ConfigStore::Memory;
  auto E = ConfigStore::Enum;

  // Network and clients (port, bind, unixsocket, maxclients, requirepass: read by the server;
  // proto-max-bulk-len and client-query-buffer-limit: enforced by connections).
  def("port", {}, "6379", I(0, 65535), kImm);
  def("bind", {}, "127.0.0.1", ConfigStore::Any(), kImm);
  def("unixsocket", {}, "", ConfigStore::Any(), kImm);
  def("unixsocketperm", {}, "0", I(0, 0777), kImm);
  def("tcp-backlog", {}, "511", I(0, INT_MAX), kImm);
  def("protected-mode", {}, "yes", B());
  def("timeout", {}, "0", I(0, INT_MAX));
  def("tcp-keepalive", {}, "300", I(0, INT_MAX));
  def("maxclients", {}, "10000", I(1, UINT32_MAX));
  c.Define(P{"requirepass", {}, "", "", ConfigStore::Any(), ConfigStore::kSensitive});
  def("proto-max-bulk-len", {}, "536870912", M(1024 * 1024, kLong));
  def("client-query-buffer-limit", {}, "1073741824", M(1024 * 1024, kLong));
  auto obl = std::make_shared<SharedValue>();
  obl->value = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
  c.Define(P{"client-output-buffer-limit",
             {},
             obl->value,
             obl->value,
             OutputBufferLimits(obl),
             0,
             [obl](const std::string& v) { obl->Set(v); }});

  // General.
  def("databases", {}, "16", I(1, INT_MAX), kImm);
  def("hz", {}, "10", Hz());
  def("dynamic-hz", {}, "yes", B());
  def("daemonize", {}, "no", B(), kImm);
  def("supervised", {}, "no", E({"upstart", "systemd", "auto", "no"}), kImm);
  def("pidfile", {}, "", ConfigStore::Any(), kImm);
  def("logfile", {}, "", ConfigStore::Any(), kImm);
  c.Define(P{"loglevel",
             {},
             "notice",
             "",
             E({"debug", "verbose", "notice", "warning"}),
             0,
             [](const std::string& v) {
               SetLogLevel(v == "debug"     ? LogLevel::kDebug
                           : v == "warning" ? LogLevel::kWarn
                                            : LogLevel::kInfo);
             }});
  def("enable-debug-command", {}, "yes", E({"no", "yes", "local"}), kImm);
  def("io-threads", {}, "1", I(1, 128), kImm);
  def("io-threads-do-reads", {}, "no", B(), kImm);
  def("enable-protected-configs", {}, "no", E({"no", "yes", "local"}), kImm);
  def("enable-module-command", {}, "no", E({"no", "yes", "local"}), kImm);
  def("shutdown-timeout", {}, "10", I(0, INT_MAX));
  def("acllog-max-len", {}, "128", I(0, kLong));
  def("cluster-enabled", {}, "no", B(), kImm);

  // Memory and eviction (maxmemory and maxmemory-policy: the eviction subsystem).
  // Mirrored into the eviction subsystem's atomics (commands/memory_family.h).
  EvictParams* ep = &svc.memory_guard().params();
  auto hooked = [&](const char* name, std::string value, V v,
                    std::function<void(const std::string&)> on_change) {
    c.Define(P{name, {}, value, value, std::move(v), 0, std::move(on_change)});
  };
  auto as_int = [](const std::string& v) {
    int64_t n = 0;
    ConfigStore::ParseMemory(v, &n);
    return n;
  };
  hooked("maxmemory", "0", M(0, kLong), [ep, as_int](const std::string& v) {
    ep->maxmemory.store(static_cast<uint64_t>(as_int(v)));
  });
  hooked("maxmemory-policy", "noeviction",
         E({"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
            "allkeys-lfu", "allkeys-random", "noeviction"}),
         [ep](const std::string& v) {
           EvictPolicy p = EvictPolicy::kNoEviction;
           ParseEvictPolicy(v, &p);
           ep->policy.store(p);
         });
  def("maxmemory-clients", {}, "0", MemoryOrPercent());
  hooked("maxmemory-samples", "5", I(1, INT_MAX), [ep, as_int](const std::string& v) {
    ep->samples.store(static_cast<int>(as_int(v)));
  });
  hooked("maxmemory-eviction-tenacity", "10", I(0, 100), [ep, as_int](const std::string& v) {
    ep->tenacity.store(static_cast<int>(as_int(v)));
  });
  hooked("lfu-log-factor", "10", I(0, INT_MAX), [ep, as_int](const std::string& v) {
    ep->lfu.log_factor.store(static_cast<uint32_t>(as_int(v)));
  });
  hooked("lfu-decay-time", "1", I(0, INT_MAX), [ep, as_int](const std::string& v) {
    ep->lfu.decay_time.store(static_cast<uint32_t>(as_int(v)));
  });
  def("active-expire-effort", {}, "1", I(1, 10));
  def("activerehashing", {}, "yes", B());
  def("activedefrag", {}, "no", NoDefrag());
  def("lazyfree-lazy-eviction", {}, "no", B());
  def("lazyfree-lazy-expire", {}, "no", B());
  def("lazyfree-lazy-server-del", {}, "no", B());
  def("lazyfree-lazy-user-del", {}, "no", B());
  def("lazyfree-lazy-user-flush", {}, "no", B());

  // Persistence (stored for clients; Kora's own persistence is configured by --data-dir).
  def("save", {}, "", SaveParams());
  def("appendonly", {}, "no", B());
  def("appendfsync", {}, "everysec", E({"everysec", "always", "no"}));
  def("appendfilename", {}, "appendonly.aof", ConfigStore::Any(), kImm);
  def("appenddirname", {}, "appendonlydir", ConfigStore::Any(), kImm);
  def("no-appendfsync-on-rewrite", {}, "no", B());
  def("auto-aof-rewrite-percentage", {}, "100", I(0, INT_MAX));
  def("auto-aof-rewrite-min-size", {}, "67108864", M(0, kLong));
  def("aof-use-rdb-preamble", {}, "yes", B());
  def("dir", {}, CurrentDir(), Protected());
  def("dbfilename", {}, "dump.rdb", Protected());
  def("rdbcompression", {}, "yes", B());
  def("rdbchecksum", {}, "yes", B());
  def("stop-writes-on-bgsave-error", {}, "yes", B());
  def("sanitize-dump-payload", {}, "no", E({"no", "yes", "clients"}));

  // Replication (Kora is always a master).
  def("replica-read-only", {"slave-read-only"}, "yes", B());
  def("replica-serve-stale-data", {"slave-serve-stale-data"}, "yes", B());
  def("repl-backlog-size", {}, "1048576", M(1, kLong));
  def("repl-timeout", {}, "60", I(1, INT_MAX));
  def("repl-ping-replica-period", {"repl-ping-slave-period"}, "10", I(1, INT_MAX));
  def("repl-diskless-sync", {}, "yes", B());
  def("repl-diskless-sync-delay", {}, "5", I(0, INT_MAX));
  def("replica-priority", {"slave-priority"}, "100", I(0, INT_MAX));
  def("replica-lazy-flush", {"slave-lazy-flush"}, "no", B());
  def("min-replicas-to-write", {"min-slaves-to-write"}, "0", I(0, INT_MAX));
  def("min-replicas-max-lag", {"min-slaves-max-lag"}, "10", I(0, INT_MAX));

  // Scripts, slow log, latency.
  def("busy-reply-threshold", {"lua-time-limit"}, "5000", I(0, kLong));
  def("slowlog-log-slower-than", {}, "10000", I(-1, kLong));
  def("slowlog-max-len", {}, "128", I(0, kLong));
  def("latency-monitor-threshold", {}, "0", I(0, kLong));
  def("latency-tracking", {}, "yes", B());
  def("latency-tracking-info-percentiles", {}, "50 99 99.9", Percentiles());

  // Keyspace notifications (the pub/sub subsystem reads the normalised class letters).
  c.Define(P{"notify-keyspace-events", {}, "", "", KeyspaceEvents(), 0,
             [&svc](const std::string& v) { SetKeyspaceEvents(svc, v); }});

  // Encoding thresholds of the data types.
  def("list-max-listpack-size", {"list-max-ziplist-size"}, "-2", I(INT_MIN, INT_MAX));
  def("list-compress-depth", {}, "0", I(0, INT_MAX));
  def("hash-max-listpack-entries", {"hash-max-ziplist-entries"}, "512", I(0, kLong));
  def("hash-max-listpack-value", {"hash-max-ziplist-value"}, "64", I(0, kLong));
  def("set-max-intset-entries", {}, "512", I(0, kLong));
  def("zset-max-listpack-entries", {"zset-max-ziplist-entries"}, "128", I(0, kLong));
  def("zset-max-listpack-value", {"zset-max-ziplist-value"}, "64", I(0, kLong));
  def("stream-node-max-bytes", {}, "4096", M(0, kLong));
  def("stream-node-max-entries", {}, "100", I(0, kLong));
  def("hll-sparse-max-bytes", {}, "3000", M(0, kLong));
  def("tracking-table-max-keys", {}, "1000000", I(0, kLong));
}

}  // namespace kora
