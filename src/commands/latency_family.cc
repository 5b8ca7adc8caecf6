// LATENCY HISTOGRAM/LATEST/HISTORY/RESET/DOCTOR/HELP, as Redis 7.0 answers them, from the
// workers' latency histograms and latency-monitor series (observe::ShardMetrics), merged here.
#include <algorithm>
#include <cstdio>
#include <set>

#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/observe_hook.h"
#include "commands/server_family.h"

namespace kora {
namespace {

// Redis reports its ns histogram (2 significant digits) in power-of-two steps from 1024 ns;
// step k covers values up to (2^(3+k) * 129 - 1) ns, shown in µs. Our values are whole µs (as
// Redis records them), so the cumulative count of step k is the count of values <= its key.
void WriteCdf(ReplyBuilder& rb, const observe::LatencyHistogram& h) {
  rb.MapHeader(2);
  rb.Bulk("calls");
  rb.Integer(static_cast<int64_t>(h.total()));
  rb.Bulk("histogram_usec");
  std::vector<std::pair<int64_t, uint64_t>> steps;
  uint64_t prev = 0;
  for (int k = 0; k < 40 && prev < h.total(); ++k) {
    int64_t key = ((int64_t{1} << (3 + k)) * 129 - 1) / 1000;
    uint64_t cum = h.CountAtOrBelow(key);
    if (k == 39) cum = h.total();
    if (cum > prev) steps.emplace_back(key, cum);
    prev = cum;
  }
  rb.MapHeader(static_cast<int64_t>(steps.size()));
  for (const auto& [key, cum] : steps) {
    rb.Integer(key);
    rb.Integer(static_cast<int64_t>(cum));
  }
}

void CmdLatencyHistogram(CmdArgs args, CmdCtx& ctx) {
  // The commands to report, in reply order: each named command then its subcommands.
  std::vector<int> order;
  for (size_t i = 2; i < args.size(); ++i) {
    const CommandSpec* spec = FindCommandByFullName(*ctx.svc, args[i]);
    if (spec == nullptr) continue;
    order.push_back(spec->id);
    for (const auto& sub : spec->subcommands) order.push_back(sub.id);
  }
  bool all = args.size() == 2;
  if (!all && order.empty()) {
    ctx.rb->MapHeader(0);
    return;
  }
  std::vector<int> ids = order;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  Service* svc = ctx.svc;
  CollectHistograms(ctx, all ? std::vector<int>{} : ids,
                    [pending, svc, all, order](HistogramMap& hs) {
                      std::vector<int> out;
                      if (all) {
                        for (const auto& [id, h] : hs) out.push_back(id);
                      } else {
                        for (int id : order) {
                          if (hs.count(id)) out.push_back(id);
                        }
                      }
                      pending->Finish([&](ReplyBuilder& rb) {
                        rb.MapHeader(static_cast<int64_t>(out.size()));
                        for (int id : out) {
                          rb.Bulk(svc->all_specs()[id]->name);
                          WriteCdf(rb, hs[id]);
                        }
                      });
                    });
}

using Events = std::map<std::string, observe::LatencySeries>;

// Every worker's latency-monitor series merged by event.
void CollectEvents(CmdCtx& ctx, absl::AnyInvocable<void(Events&)> done) {
  ctx.svc->RunOnShards<Events>(
      ctx, ctx.svc->AllShards(), [](CmdCtx& c) { return c.shard().metrics().monitor().events(); },
      [done = std::move(done)](std::vector<Events>& parts) mutable {
        Events all;
        for (auto& p : parts) {
          for (auto& [name, series] : p) all[name].Merge(series);
        }
        done(all);
      });
}

void CmdLatencyLatest(CmdArgs, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  CollectEvents(ctx, [pending](Events& all) {
    pending->Finish([&](ReplyBuilder& rb) {
      rb.ArrayHeader(static_cast<int64_t>(all.size()));
      for (const auto& [name, s] : all) {
        rb.ArrayHeader(4);
        rb.Bulk(name);
        rb.Integer(s.samples.empty() ? 0 : s.samples.back().time);
        rb.Integer(s.samples.empty() ? 0 : static_cast<int64_t>(s.samples.back().latency));
        rb.Integer(static_cast<int64_t>(s.max));
      }
    });
  });
}

void CmdLatencyHistory(CmdArgs args, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  std::string event(args[2]);
  CollectEvents(ctx, [pending, event](Events& all) {
    pending->Finish([&](ReplyBuilder& rb) {
      auto it = all.find(event);
      if (it == all.end()) {
        rb.ArrayHeader(0);
        return;
      }
      rb.ArrayHeader(static_cast<int64_t>(it->second.samples.size()));
      for (const auto& s : it->second.samples) {
        rb.ArrayHeader(2);
        rb.Integer(s.time);
        rb.Integer(static_cast<int64_t>(s.latency));
      }
    });
  });
}

void CmdLatencyReset(CmdArgs args, CmdCtx& ctx) {
  auto names = std::make_shared<const std::vector<std::string>>(args.begin() + 2, args.end());
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<std::vector<std::string>>(
      ctx, ctx.svc->AllShards(),
      [names](CmdCtx& c) {
        observe::LatencyMonitor& mon = c.shard().metrics().monitor();
        std::vector<std::string> had;
        for (const auto& [name, s] : mon.events()) had.push_back(name);
        if (names->empty()) mon.Reset("");
        for (const auto& n : *names) mon.Reset(n);
        return had;
      },
      [pending, names](std::vector<std::vector<std::string>>& parts) {
        std::set<std::string> present;
        for (auto& p : parts) present.insert(p.begin(), p.end());
        int64_t resets = 0;
        if (names->empty()) {
          resets = static_cast<int64_t>(present.size());
        } else {
          for (const auto& n : *names) {
            for (auto it = present.begin(); it != present.end();) {
              if (EqualsIgnoreCase(*it, n)) {
                it = present.erase(it);
                ++resets;
              } else {
                ++it;
              }
            }
          }
        }
        pending->Finish([resets](ReplyBuilder& rb) { rb.Integer(resets); });
      });
}

// Bytes of anonymous huge pages mapped by this process (Redis's THP check).
int64_t AnonHugePagesBytes() {
  FILE* f = std::fopen("/proc/self/smaps_rollup", "r");
  if (f == nullptr) return 0;
  char line[256];
  int64_t kb = 0;
  while (std::fgets(line, sizeof(line), f)) {
    long long v;
    if (std::sscanf(line, "AnonHugePages: %lld kB", &v) == 1) kb += v;
  }
  std::fclose(f);
  return kb * 1024;
}

std::string DoctorReport(const Events& events, int64_t threshold_ms, int64_t slower_than) {
  if (events.empty() && threshold_ms == 0) {
    return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
           "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
           "order to enable it. If we weren't in a deep space mission I'd suggest to take a "
           "look at https://redis.io/topics/latency-monitor.\n";
  }
  std::string report;
  bool slowlog_enabled = false, slowlog_tuning = false, slowlog_inspect = false;
  bool large_objects = false, scheduler = false, disable_thp = false;
  int advices = 0, eventnum = 0;
  int64_t now = NowUnixMs() / 1000;
  for (const auto& [event, ts] : events) {
    ++eventnum;
    if (eventnum == 1) {
      report += "Dave, I have observed latency spikes in this Redis instance. You don't mind "
                "talking about it, do you Dave?\n\n";
    }
    uint64_t sum = 0, min = 0, max = 0;
    int64_t oldest = 0;
    int samples = 0;
    for (const auto& s : ts.samples) {
      ++samples;
      min = samples == 1 ? s.latency : std::min(min, s.latency);
      max = std::max(max, s.latency);
      sum += s.latency;
      if (oldest == 0 || s.time < oldest) oldest = s.time;
    }
    uint64_t avg = samples ? sum / samples : 0;
    int64_t period = samples ? std::max<int64_t>(now - oldest, 1) : 0;
    uint64_t mad = 0;
    for (const auto& s : ts.samples) {
      int64_t d = static_cast<int64_t>(avg) - static_cast<int64_t>(s.latency);
      mad += static_cast<uint64_t>(d < 0 ? -d : d);
    }
    if (samples) mad /= samples;
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "%d. %s: %d latency spikes (average %lums, mean deviation %lums, period %.2f "
                  "sec). Worst all time event %lums.",
                  eventnum, event.c_str(), samples, static_cast<unsigned long>(avg),
                  static_cast<unsigned long>(mad),
                  samples ? static_cast<double>(period) / samples : 0.0,
                  static_cast<unsigned long>(ts.max));
    report += buf;
    if (EqualsIgnoreCase(event, "command")) {
      if (slower_than < 0) {
        slowlog_enabled = true;
        ++advices;
      } else if (slower_than / 1000 > threshold_ms) {
        slowlog_tuning = true;
        ++advices;
      }
      slowlog_inspect = large_objects = true;
      advices += 2;
    }
    if (EqualsIgnoreCase(event, "fast-command")) {
      scheduler = true;
      ++advices;
    }
    report += "\n";
  }
  if (AnonHugePagesBytes() > 0) {
    disable_thp = true;
    ++advices;
  }
  if (eventnum == 0 && advices == 0) {
    report += "Dave, no latency spike was observed during the lifetime of this Redis instance, "
              "not in the slightest bit. I honestly think you ought to sit down calmly, take a "
              "stress pill, and think things over.\n";
  } else if (eventnum > 0 && advices == 0) {
    report += "\nWhile there are latency events logged, I'm not able to suggest any easy fix. "
              "Please use the Redis community to get some help, providing this report in your "
              "help request.\n";
  } else {
    report += "\nI have a few advices for you:\n\n";
    char buf[512];
    if (slowlog_enabled) {
      std::snprintf(buf, sizeof(buf),
                    "- There are latency issues with potentially slow commands you are using. "
                    "Try to enable the Slow Log Redis feature using the command 'CONFIG SET "
                    "slowlog-log-slower-than %llu'. If the Slow log is disabled Redis is not "
                    "able to log slow commands execution for you.\n",
                    static_cast<unsigned long long>(threshold_ms * 1000));
      report += buf;
    }
    if (slowlog_tuning) {
      std::snprintf(buf, sizeof(buf),
                    "- Your current Slow Log configuration only logs events that are slower "
                    "than your configured latency monitor threshold. Please use 'CONFIG SET "
                    "slowlog-log-slower-than %llu'.\n",
                    static_cast<unsigned long long>(threshold_ms * 1000));
      report += buf;
    }
    if (slowlog_inspect) {
      report += "- Check your Slow Log to understand what are the commands you are running "
                "which are too slow to execute. Please check https://redis.io/commands/slowlog "
                "for more information.\n";
    }
    if (scheduler) {
      report += "- The system is slow to execute Redis code paths not containing system calls. "
                "This usually means the system does not provide Redis CPU time to run for long "
                "periods. You should try to:\n"
                "  1) Lower the system load.\n"
                "  2) Use a computer / VM just for Redis if you are running other software in "
                "the same system.\n"
                "  3) Check if you have a \"noisy neighbour\" problem.\n"
                "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic "
                "latency in your system.\n"
                "  5) Check if the problem is allocator-related by recompiling Redis with "
                "MALLOC=libc, if you are using Jemalloc. However this may create fragmentation "
                "problems.\n";
    }
    if (large_objects) {
      report += "- Deleting, expiring or evicting (because of maxmemory policy) large objects "
                "is a blocking operation. If you have very large objects that are often "
                "deleted, expired, or evicted, try to fragment those objects into multiple "
                "smaller objects.\n";
    }
    if (disable_thp) {
      report += "- I detected a non zero amount of anonymous huge pages used by your process. "
                "This creates very serious latency events in different conditions, especially "
                "when Redis is persisting on disk. To disable THP support use the command "
                "'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also "
                "add it into /etc/rc.local so that the command will be executed again after a "
                "reboot. Note that even if you have already disabled THP, you still need to "
                "restart the Redis process to get rid of the huge pages already created.\n";
    }
  }
  return report;
}

void CmdLatencyDoctor(CmdArgs, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  int64_t threshold = ctx.svc->config().IntValue("latency-monitor-threshold");
  int64_t slower = ctx.svc->config().IntValue("slowlog-log-slower-than");
  CollectEvents(ctx, [pending, threshold, slower](Events& all) {
    std::string report = DoctorReport(all, threshold, slower);
    pending->Finish([&report](ReplyBuilder& rb) { rb.Verbatim(report); });
  });
}

// Redis's ASCII sparkline (sparkline.c, fill mode): `rows` rows of "_o#" steps, '|' below the
// top of a column, then each sample's label written vertically under its column.
std::string Sparkline(const std::vector<std::pair<double, std::string>>& samples, int columns,
                      int rows) {
  static const char kFill[] = "_o#";
  constexpr int kCharsetLen = 3;
  double min = 0, max = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    double v = samples[i].first;
    if (i == 0) {
      min = max = v;
    } else if (v < min) {
      min = v;
    } else if (v > max) {
      max = v;
    }
  }
  bool labels = false;
  for (const auto& s : samples) labels |= !s.second.empty();
  std::string out;
  for (size_t off = 0; off < samples.size(); off += columns) {
    if (off != 0) out += '\n';
    size_t len = std::min(samples.size() - off, static_cast<size_t>(columns));
    double relmax = max - min;
    if (relmax == 0) relmax = 1;
    int steps = kCharsetLen * rows;
    for (int row = 0;; ++row) {
      std::string chars(len, ' ');
      bool more = false;
      for (size_t j = 0; j < len; ++j) {
        const auto& s = samples[off + j];
        int step = static_cast<int>(static_cast<int>((s.first - min) * steps) / relmax);
        step = std::clamp(step, 0, steps - 1);
        if (row < rows) {
          int idx = step - (rows - row - 1) * kCharsetLen;
          more = true;
          if (idx >= 0 && idx < kCharsetLen) {
            chars[j] = kFill[idx];
          } else if (idx >= kCharsetLen) {
            chars[j] = '|';
          }
        } else {
          if (labels && row - rows < 1) {  // one blank line above the labels
            more = true;
            break;
          }
          int label_char = row - rows - 1;
          if (static_cast<int>(s.second.size()) > label_char) {
            more = true;
            chars[j] = s.second[label_char];
          }
        }
      }
      if (!more) break;
      out += chars;
      out += '\n';
    }
  }
  return out;
}

void CmdLatencyGraph(CmdArgs args, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  std::string event(args[2]);
  CollectEvents(ctx, [pending, event](Events& all) {
    auto it = all.find(event);
    if (it == all.end()) {
      pending->Finish([&](ReplyBuilder& rb) {
        rb.Error("ERR No samples available for event '" + event + "'");
      });
      return;
    }
    const observe::LatencySeries& ts = it->second;
    int64_t now = NowUnixMs() / 1000;
    std::vector<std::pair<double, std::string>> samples;
    uint64_t min = 0, max = 0;
    for (const auto& s : ts.samples) {
      if (samples.empty()) {
        min = max = s.latency;
      } else {
        min = std::min(min, s.latency);
        max = std::max(max, s.latency);
      }
      int64_t elapsed = now - s.time;
      char buf[64];
      if (elapsed < 60) {
        std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(elapsed));
      } else if (elapsed < 3600) {
        std::snprintf(buf, sizeof(buf), "%lldm", static_cast<long long>(elapsed / 60));
      } else if (elapsed < 86400) {
        std::snprintf(buf, sizeof(buf), "%lldh", static_cast<long long>(elapsed / 3600));
      } else {
        std::snprintf(buf, sizeof(buf), "%lldd", static_cast<long long>(elapsed / 86400));
      }
      samples.emplace_back(static_cast<double>(s.latency), buf);
    }
    char head[256];
    std::snprintf(head, sizeof(head), "%s - high %lu ms, low %lu ms (all time high %lu ms)\n",
                  event.c_str(), static_cast<unsigned long>(max), static_cast<unsigned long>(min),
                  static_cast<unsigned long>(ts.max));
    std::string graph = head + std::string(80, '-') + "\n" + Sparkline(samples, 80, 4);
    pending->Finish([&graph](ReplyBuilder& rb) { rb.Verbatim(graph); });
  });
}

void CmdLatencyHelp(CmdArgs args, CmdCtx& ctx) {
  ReplyHelp(ctx, args[0],
            {"DOCTOR", "    Return a human readable latency analysis report.", "GRAPH <event>",
             "    Return an ASCII latency graph for the <event> class.", "HISTORY <event>",
             "    Return time-latency samples for the <event> class.", "LATEST",
             "    Return the latest latency samples for all events.", "RESET [<event> ...]",
             "    Reset latency data of one or more <event> classes.",
             "    (default: reset all data for all event classes)", "HISTOGRAM [COMMAND ...]",
             "    Return a cumulative distribution of latencies in the format of a histogram for "
             "the specified command names.",
             "    If no commands are specified then all histograms are replied."});
}

CommandSpec Sub(const char* name, int arity, CmdHandler h) {
  return Cmd(name, arity, kCmdConn, 0, 0, 0, "", h);
}

}  // namespace

void RegisterLatencyFamily(Service& svc) {
  CommandSpec latency = Cmd("latency", -2, kCmdConn, 0, 0, 0, "", nullptr);
  latency.subcommands = {
      Sub("latency|histogram", -2, CmdLatencyHistogram),
      Sub("latency|latest", 2, CmdLatencyLatest),
      Sub("latency|history", 3, CmdLatencyHistory),
      Sub("latency|reset", -2, CmdLatencyReset),
      Sub("latency|doctor", 2, CmdLatencyDoctor),
      Sub("latency|graph", 3, CmdLatencyGraph),
      Sub("latency|help", 2, CmdLatencyHelp),
  };
  svc.Register({std::move(latency)});
}

}  // namespace kora
