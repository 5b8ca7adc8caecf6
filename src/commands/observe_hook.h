// The recording hook Dispatch calls after every command, and the helpers the observability
// families share (stats_family.cc, latency_family.cc, slowlog_family.cc). Recording runs on the
// executing worker's thread and touches only that worker's observe::ShardMetrics.
#pragma once

#include <absl/functional/any_invocable.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/service.h"
#include "observe/shard_metrics.h"

namespace kora {

// Re-reads the observability settings from the configuration (when its generation changed).
void RefreshObserveSettings(Service& svc, observe::ShardMetrics& m);
// On the shard's thread, between commands: applies the memory-by-prefix settings (a change
// rebuilds the tries) and brings the prefix totals up to date.
void SyncPrefixMemory(Service& svc, Shard& shard);

// Called before the handler runs: picks the commands whose key the hot-key sketch counts (a
// random 1 in kora-hotkeys-sample-rate), hashes that key and starts loading its counters, so
// that RecordCommand does not wait on memory. Returns the hash (0: nothing to count).
inline uint64_t BeginRecord(Service& svc, Shard& shard, const CommandSpec& spec, CmdArgs args) {
  observe::ShardMetrics& m = shard.metrics();
  if (m.settings_generation != svc.config().generation()) RefreshObserveSettings(svc, m);
  if (!m.settings.enabled || spec.first_key <= 0 ||
      args.size() <= static_cast<size_t>(spec.first_key) || !m.SampleHotKey()) {
    return 0;
  }
  uint64_t h = observe::HashKey(args[spec.first_key]);
  m.hot_keys().Prefetch(h);
  return h;
}

// Records one executed command (run time `dur_us`) in the executing worker's metrics:
// latency histogram, hot key (when BeginRecord sampled it: `key_hash` != 0), latency monitor.
inline void RecordCommand(Service& svc, Shard& shard, const CommandSpec& spec, CmdArgs args,
                          int64_t dur_us, uint64_t key_hash) {
  observe::ShardMetrics& m = shard.metrics();
  if (m.settings_generation != svc.config().generation()) RefreshObserveSettings(svc, m);
  const observe::ObserveSettings& s = m.settings;
  if (s.enabled) {
    if (s.latency_tracking) m.Histogram(spec.id).Record(dur_us);
    if (key_hash != 0) m.hot_keys().AddHashed(args[spec.first_key], key_hash, s.hotkeys_sample);
  }
  if (s.monitor_threshold_ms > 0 && dur_us / 1000 >= s.monitor_threshold_ms) {
    m.monitor().Add((spec.flags & kCmdFast) ? "fast-command" : "command", NowUnixMs() / 1000,
                    static_cast<uint64_t>(dur_us / 1000));
  }
}

// Whether a command that ran `dur_us` goes into the slow log (settings of the current worker).
inline bool IsSlow(Shard& shard, const CommandSpec& spec, int64_t dur_us) {
  const observe::ObserveSettings& s = shard.metrics().settings;
  return s.slower_than_us >= 0 && s.slowlog_max_len > 0 && dur_us >= s.slower_than_us &&
         !(spec.flags & kCmdSkipSlowlog);
}

// A slow-log entry without its client part (made where the command ran).
std::unique_ptr<observe::SlowlogEntry> MakeSlowEntry(CmdArgs args, int64_t dur_us);
// Completes `e` with the client's address and name and adds it to the slow log of the
// client's worker (call there).
void PushSlowEntry(Service& svc, ConnContext& conn, std::unique_ptr<observe::SlowlogEntry> e);

}  // namespace kora

namespace kora {

// Per-command latency histograms summed over the workers, by CommandSpec::id.
using HistogramMap = std::map<int, observe::LatencyHistogram>;

// Asks every worker for its histograms of `ids` (all commands when empty) and calls `done`
// with their sums on the caller's worker.
void CollectHistograms(CmdCtx& ctx, std::vector<int> ids,
                       absl::AnyInvocable<void(HistogramMap&)> done);

// Redis's latencystats percentile formatting: "p50=1.003,p99=..." for `h` (values in µs).
std::string FormatPercentiles(const observe::LatencyHistogram& h, const std::vector<double>& ps);

// The configured latency-tracking-info-percentiles.
std::vector<double> InfoPercentiles(Service& svc);

// Looks up "cmd" or "container|sub"; nullptr when unknown.
const CommandSpec* FindCommandByFullName(Service& svc, std::string_view name);

}  // namespace kora
