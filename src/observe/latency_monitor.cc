#include "observe/latency_monitor.h"

#include <algorithm>
#include <strings.h>

namespace kora::observe {

void LatencySeries::Add(int64_t now_sec, uint64_t latency_ms) {
  max = std::max(max, latency_ms);
  if (!samples.empty() && samples.back().time == now_sec) {
    samples.back().latency = std::max(samples.back().latency, latency_ms);
    return;
  }
  samples.push_back(LatencySample{now_sec, latency_ms});
  if (samples.size() > kLen) samples.erase(samples.begin());
}

void LatencySeries::Merge(const LatencySeries& other) {
  std::vector<LatencySample> all;
  all.reserve(samples.size() + other.samples.size());
  std::merge(samples.begin(), samples.end(), other.samples.begin(), other.samples.end(),
             std::back_inserter(all),
             [](const LatencySample& a, const LatencySample& b) { return a.time < b.time; });
  std::vector<LatencySample> out;
  for (const auto& s : all) {
    if (!out.empty() && out.back().time == s.time) {
      out.back().latency = std::max(out.back().latency, s.latency);
    } else {
      out.push_back(s);
    }
  }
  if (out.size() > kLen) out.erase(out.begin(), out.end() - kLen);
  samples = std::move(out);
  max = std::max(max, other.max);
}

int LatencyMonitor::Reset(const std::string& event) {
  if (event.empty()) {
    int n = static_cast<int>(events_.size());
    events_.clear();
    return n;
  }
  int n = 0;
  for (auto it = events_.begin(); it != events_.end();) {
    if (strcasecmp(it->first.c_str(), event.c_str()) == 0) {
      it = events_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace kora::observe
