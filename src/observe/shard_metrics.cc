#include "observe/shard_metrics.h"

namespace kora::observe {

ShardMetrics::ShardMetrics() : hot_keys_(128, 1 << 12) {}
ShardMetrics::~ShardMetrics() = default;

void ShardMetrics::MaybeDecay(int64_t now_ms) {
  if (last_decay_ms_ == 0) last_decay_ms_ = now_ms;
  if (settings.hotkeys_decay_ms <= 0) {
    last_decay_ms_ = now_ms;
    return;
  }
  if (now_ms - last_decay_ms_ >= settings.hotkeys_decay_ms) {
    hot_keys_.Decay();
    last_decay_ms_ = now_ms;
  }
}

void ShardMetrics::Publish(std::shared_ptr<const WorkerSnapshot> s) {
  std::lock_guard<std::mutex> lk(snapshot_mu_);
  snapshot_ = std::move(s);
}

std::shared_ptr<const WorkerSnapshot> ShardMetrics::Latest() const {
  std::lock_guard<std::mutex> lk(snapshot_mu_);
  return snapshot_;
}

}  // namespace kora::observe
