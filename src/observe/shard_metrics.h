// Everything one worker records about the commands it runs: per-command latency histograms,
// the hot-key sketch, its clients' slow-log entries and the latency monitor. Owned by the
// worker's Shard and touched only on that worker's thread, so recording takes no lock;
// readers (INFO, LATENCY, SLOWLOG, STATS.*) ask every worker for a copy and merge.
//
// The HTTP metrics thread never touches this object directly: each worker publishes a
// WorkerSnapshot (an immutable copy) once a second and the reader takes the latest one under a
// mutex held only to copy a shared_ptr. See docs/design/observability.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "observe/histogram.h"
#include "observe/hotkeys.h"
#include "observe/latency_monitor.h"
#include "observe/slowlog.h"

namespace kora::observe {

// Settings mirrored from the runtime configuration (refreshed when its generation changes).
struct ObserveSettings {
  bool enabled = true;           // instrumentation: histograms and hot keys
  bool latency_tracking = true;  // latency-tracking
  int64_t slower_than_us = 10000;
  size_t slowlog_max_len = 128;
  int64_t monitor_threshold_ms = 0;
  int64_t hotkeys_decay_ms = 60000;  // 0: never decay
  uint32_t hotkeys_sample = 8;        // count 1 in N commands (a power of two), weight N
};

// One command's numbers in a snapshot.
struct CommandSnapshot {
  int id = 0;
  uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
  uint64_t hist_total = 0, hist_sum = 0;
  int64_t hist_max = 0;
  std::vector<std::pair<uint32_t, uint64_t>> hist;  // LatencyHistogram::Sparse()
};

// What a worker publishes for readers on other threads.
struct WorkerSnapshot {
  int64_t time_ms = 0;
  uint64_t clients = 0, total_connections = 0, rejected_connections = 0;
  uint64_t total_commands = 0, ops_per_sec = 0;
  uint64_t net_input_bytes = 0, net_output_bytes = 0;
  uint64_t keyspace_hits = 0, keyspace_misses = 0, expired_keys = 0, evicted_keys = 0;
  uint64_t total_error_replies = 0, blocked_clients = 0;
  uint64_t used_memory = 0;  // process-wide; filled by worker 0 only
  std::vector<std::pair<std::string, uint64_t>> errors;  // error replies by code
  std::array<uint64_t, 16> db_keys{}, db_expires{};
  std::vector<CommandSnapshot> commands;  // only commands called since the last reset
  std::vector<HotKey> hot_keys;
  // Memory by key prefix: the largest top-level prefixes of database 0.
  struct Prefix {
    std::string prefix;
    int64_t bytes = 0, keys = 0;
  };
  std::vector<Prefix> prefixes;
};

class ShardMetrics {
 public:
  ShardMetrics();
  ~ShardMetrics();

  ObserveSettings settings;
  uint64_t settings_generation = ~uint64_t{0};

  // The histogram of command `id`, created on first use.
  LatencyHistogram& Histogram(int id) {
    if (static_cast<size_t>(id) >= hist_.size()) hist_.resize(id + 1);
    if (!hist_[id]) hist_[id] = std::make_unique<LatencyHistogram>();
    return *hist_[id];
  }
  // nullptr when command `id` has recorded nothing.
  const LatencyHistogram* FindHistogram(int id) const {
    return static_cast<size_t>(id) < hist_.size() ? hist_[id].get() : nullptr;
  }
  size_t histogram_slots() const { return hist_.size(); }
  void ResetHistograms() { hist_.clear(); }

  CountMinTopK& hot_keys() { return hot_keys_; }
  // True for a random 1 in settings.hotkeys_sample commands (xorshift; random, so a client
  // cycling through N keys is not aliased onto one of them).
  bool SampleHotKey() {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return (rng_ & (settings.hotkeys_sample - 1)) == 0;
  }
  Slowlog& slowlog() { return slowlog_; }
  LatencyMonitor& monitor() { return monitor_; }

  // Halves the hot-key counts when the decay period has passed (worker timer).
  void MaybeDecay(int64_t now_ms);

  void Publish(std::shared_ptr<const WorkerSnapshot> s);
  std::shared_ptr<const WorkerSnapshot> Latest() const;

 private:
  std::vector<std::unique_ptr<LatencyHistogram>> hist_;
  CountMinTopK hot_keys_;
  Slowlog slowlog_;
  LatencyMonitor monitor_;
  int64_t last_decay_ms_ = 0;
  uint64_t rng_ = 0x9e3779b97f4a7c15ULL;
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const WorkerSnapshot> snapshot_;  // GUARDED_BY(snapshot_mu_)
};

}  // namespace kora::observe
