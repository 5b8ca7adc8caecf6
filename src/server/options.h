// Server settings from flags and kora.toml (SPEC §2). Only src/server reads flags; the rest of
// the code receives these values through ServiceOptions, EngineOptions and ConfigStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kora {

struct ServerConfig {
  std::string config_file;
  std::string bind = "127.0.0.1";
  int port = 6379;
  int workers = 0;  // 0 = hardware threads
  std::string log_level = "info";
  std::string password;
  std::string unix_socket;
  std::string data_dir;
  int64_t snapshot_interval_secs = 300;
  int64_t snapshot_retain = 24;
  int64_t cdc_capacity = 65536;
  int metrics_port = 0;
  int64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  int64_t maxclients = 10000;
  // [storage]
  std::string wal_sync = "every_second";
  bool wal_enabled = true;
  bool rdb_enabled = true;
  int64_t wal_max_bytes = 64LL * 1024 * 1024;
  bool show_help = false;
  bool show_version = false;
};

// Parses argv (and the TOML file it names, or ./kora.toml). On failure returns false with a
// one-line message naming the offending flag, key or value.
bool ParseServerConfig(int argc, char** argv, ServerConfig* cfg, std::string* error);
std::string ServerUsage();

}  // namespace kora
