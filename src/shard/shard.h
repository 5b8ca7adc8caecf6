// The data one worker owns: its slice of the keyspace across all logical databases.
// Touched only from its worker's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "core/db_table.h"
#include "observe/shard_metrics.h"

namespace kora {

constexpr int kNumDatabases = 16;

struct ShardStats {
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expired_by_cycle = 0;
};

class Shard {
 public:
  explicit Shard(int id);

  int id() const { return id_; }
  DbTable& db(int index) { return *dbs_[index]; }
  std::mt19937_64& rng() { return rng_; }
  ShardStats& stats() { return stats_; }
  // Command latency, hot keys, slow log (src/observe); this worker's thread only.
  observe::ShardMetrics& metrics() { return metrics_; }

  // One pass of the active expiry cycle with a time budget (skipped when !active_expire:
  // DEBUG SET-ACTIVE-EXPIRE 0); also advances rehashing and shrinks tables that emptied.
  void Cron(int64_t budget_us, bool active_expire = true);
  // Total expired keys (lazy and active) across databases.
  uint64_t expired_keys() const;
  void SwapDb(int a, int b) { std::swap(dbs_[a], dbs_[b]); }
  // While a transaction holds this shard, the background cycle leaves its data alone.
  void set_cron_paused(bool paused) { cron_paused_ = paused; }
  // Set while a write command runs on this shard: lookups then re-stamp entry versions.
  void set_write_mode(bool on) { write_mode_ = on; }
  bool write_mode() const { return write_mode_; }
  bool cron_paused() const { return cron_paused_; }

  // Memory by key prefix for every database (DbTable::EnablePrefixMemory); a no-op when the
  // settings did not change. depth 0: off.
  void ConfigurePrefixMemory(char separator, int depth);
  // Brings the prefix totals up to date with the writes since the last call. Between commands
  // only (a command may fill a value after looking its key up).
  void FlushPrefixMemory() {
    for (DbTable* t : prefix_dirty_) t->FlushPrefixMemory();
    prefix_dirty_.clear();
  }
  bool prefix_dirty() const { return !prefix_dirty_.empty(); }

 private:
  int id_;
  std::unique_ptr<DbTable> dbs_[kNumDatabases];
  std::mt19937_64 rng_;
  ShardStats stats_;
  observe::ShardMetrics metrics_;
  int expire_db_cursor_ = 0;
  bool cron_paused_ = false;
  bool write_mode_ = false;
  uint32_t version_counter_ = 0;
  std::vector<DbTable*> prefix_dirty_;  // tables with entries written since the last flush
  char prefix_separator_ = 0;
  int prefix_depth_ = 0;
};

}  // namespace kora
