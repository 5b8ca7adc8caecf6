// kora::Config: the settings of an embedded Database (kora::Database::Open).
//
// The in-process counterparts of kora-server's flags (SPEC §2). Settings that only make sense
// for a process (bind address, port, unix socket, config file) are not here: an application
// opens listeners with Database::StartListener instead.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kora {

struct Config {
  // Shard threads; each owns a slice of the keyspace. 0 = hardware threads.
  int shard_count = 0;
  // Persistence directory; empty = in memory. Persistence is not available yet: Open fails
  // with a non-empty data_dir rather than silently ignoring it.
  std::string data_dir;

  // requirepass for clients of the RESP listeners (StartListener). Calls through the API are
  // always authenticated.
  std::string password;
  // Connection limit of the RESP listeners.
  int64_t maxclients = 10000;
  // Accepted and visible in CONFIG GET; not enforced yet (as in kora-server).
  int64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  // Background cycles per second on each shard (active expiry), like Redis's hz.
  int hz = 10;
  // Process-wide log level for Kora's messages (trace debug info warn error off); empty =
  // leave it as it is. Logging is the one process-wide setting.
  std::string log_level;
  // How long (microseconds) a shard thread keeps polling for work after its last call before
  // it sleeps. Polling spares calls that come back to back a wake-up (several microseconds; tens
  // in a VM), at the price of a busy core while calls keep coming and for this long after.
  // When the shards own every hardware thread they poll with sched_yield(), leaving the core
  // to any caller that needs it. -1 = automatic (50), 0 = always sleep.
  int idle_poll_us = -1;
  // Any other runtime parameter, as CONFIG SET would take it, e.g.
  // {"list-max-listpack-size", "64"}. Applied before the shards start; a bad one fails Open.
  std::vector<std::pair<std::string, std::string>> params;
};

}  // namespace kora
