#include "shard/shard.h"

#include "base/clock.h"

namespace kora {

Shard::Shard(int id) : id_(id), rng_(0x5eed0000ULL + id) {
  for (auto& d : dbs_) {
    d = std::make_unique<DbTable>();
    d->BindVersioning(&write_mode_, &version_counter_);
    d->BindDirtyList(&prefix_dirty_);
  }
}

void Shard::ConfigurePrefixMemory(char separator, int depth) {
  if (depth < 0) depth = 0;
  if (separator == prefix_separator_ && depth == prefix_depth_) return;
  FlushPrefixMemory();
  for (auto& d : dbs_) d->EnablePrefixMemory(separator, depth);
  prefix_separator_ = separator;
  prefix_depth_ = depth;
}

void Shard::Cron(int64_t budget_us, bool active_expire) {
  if (cron_paused_) return;
  FlushPrefixMemory();
  int64_t deadline = MonotonicUs() + budget_us;
  int64_t now_ms = NowUnixMs();
  for (int i = 0; i < kNumDatabases; ++i) {
    DbTable& db = *dbs_[(expire_db_cursor_ + i) % kNumDatabases];
    if (active_expire && db.volatile_count() > 0) stats_.expired_by_cycle += db.ActiveExpire(now_ms, deadline, rng_);
    db.dict().MaybeShrink();
    db.dict().RehashSteps(100);
    if (MonotonicUs() >= deadline) {
      expire_db_cursor_ = (expire_db_cursor_ + i + 1) % kNumDatabases;
      return;
    }
  }
}

uint64_t Shard::expired_keys() const {
  uint64_t n = 0;
  for (const auto& d : dbs_) n += d->expired_keys();
  return n;
}

}  // namespace kora
