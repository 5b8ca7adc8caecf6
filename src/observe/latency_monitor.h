// The latency monitor (LATENCY LATEST/HISTORY/RESET/DOCTOR): for each event class ("command",
// "fast-command"), the worst latency (ms) of each second in which one went over
// latency-monitor-threshold, the last 160 such seconds, and the all-time maximum. Each worker
// keeps its own series (no lock); readers merge them (same second: the larger sample).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kora::observe {

struct LatencySample {
  int64_t time = 0;     // Unix seconds
  uint64_t latency = 0;  // ms
};

struct LatencySeries {
  static constexpr size_t kLen = 160;
  std::vector<LatencySample> samples;  // oldest first, at most kLen
  uint64_t max = 0;
  void Add(int64_t now_sec, uint64_t latency_ms);
  // Merges another worker's series of the same event.
  void Merge(const LatencySeries& other);
};

class LatencyMonitor {
 public:
  void Add(const std::string& event, int64_t now_sec, uint64_t latency_ms) {
    events_[event].Add(now_sec, latency_ms);
  }
  // Removes one event (or all when `event` is empty); returns how many were removed.
  int Reset(const std::string& event);
  const std::map<std::string, LatencySeries>& events() const { return events_; }

 private:
  std::map<std::string, LatencySeries> events_;
};

}  // namespace kora::observe
