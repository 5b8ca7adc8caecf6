// INFO: the numbers gathered from every worker, and the section writers (info_sections.cc).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "commands/service.h"
#include "shard/shard.h"

namespace kora {

// What one worker reports about itself (its connections, counters and shard).
struct WorkerInfo {
  uint64_t clients = 0;
  uint64_t blocked_clients = 0;
  uint64_t max_input_buffer = 0;
  uint64_t max_output_buffer = 0;
  uint64_t total_connections = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_commands = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t ops_per_sec = 0;
  uint64_t input_bytes_per_sec = 0;
  uint64_t output_bytes_per_sec = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  std::vector<std::pair<std::string, uint64_t>> errors;
  std::vector<CmdStat> cmd_stats;  // by CommandSpec::id; empty unless asked for
  // Latency histograms by CommandSpec::id (sparse); empty unless latencystats was asked for.
  std::vector<observe::CommandSnapshot> latency;
  struct Db {
    uint64_t keys = 0;
    uint64_t expires = 0;
    int64_t avg_ttl = 0;
  };
  Db dbs[kNumDatabases];
};

// The sections INFO was asked for (Redis's names).
struct InfoRequest {
  bool server = false, clients = false, memory = false, persistence = false, stats = false;
  bool replication = false, cpu = false, modules = false, commandstats = false;
  bool errorstats = false, cluster = false, keyspace = false;
  bool latencystats = false;
};

// Parses INFO's arguments; unknown section names are ignored, as in Redis.
InfoRequest ParseInfoRequest(CmdArgs args);

// Writes the requested sections ("# Name\r\n" then "field:value\r\n" lines, separated by a
// blank line) from the per-worker reports.
std::string BuildInfo(Service& svc, const InfoRequest& req, const std::vector<WorkerInfo>& w);

}  // namespace kora
