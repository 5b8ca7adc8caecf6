// CLIENT TRACKING: server-assisted client-side caching, as Redis 7.0's tracking.c.
//
// Per worker (touched only on that worker's thread): the tracking state of the worker's own
// connections (by client id), and the remembered-keys table of the worker's shard (key name ->
// the clients that read it, with their home worker). Dispatch sets CmdCtx::track_reads for a
// tracking client whose reads are to be remembered; Execute remembers the keys of read-only
// commands on the shard that ran them. A modification (NotifyKeyspaceEvent, expiry, eviction)
// calls TrackingKeyModified on the key's shard: every client that read the key gets one
// invalidation, posted to its worker, and is forgotten for that key. BCAST prefixes are kept
// server-wide under a mutex (touched only while some client uses BCAST). With no tracking
// client the cost is one bit test in NotifyKeyspaceEvent and one in Dispatch.
// See docs/design/tracking.md.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"

namespace kora {

class ConnContext;
class Service;

// One tracking client's state (on its home worker).
struct TrackingClient {
  bool bcast = false, optin = false, optout = false, noloop = false;
  bool caching = false;       // CLIENT CACHING yes|no given for the next command
  bool broken_redir = false;
  uint64_t redirect = 0;      // 0: none
  int redirect_worker = -1;
  std::set<std::string> prefixes;  // BCAST
};

class Tracker {
 public:
  Tracker(Service* svc, int workers);
  ~Tracker();

  // Number of tracking clients server-wide (any thread).
  int64_t clients() const { return clients_.load(std::memory_order_relaxed); }

  // On the client's home worker.
  TrackingClient* Find(int worker, uint64_t id);
  void Enable(ConnContext& c, uint64_t redirect, int redirect_worker, bool bcast, bool optin,
              bool optout, bool noloop, const std::vector<std::string>& prefixes);
  void Disable(int worker, uint64_t id);
  // Dispatch: whether this command's reads are remembered; consumes CLIENT CACHING.
  void PrepareCommand(ConnContext& c, const CommandSpec& spec, CmdCtx& ctx);

  // On the key's shard.
  void Remember(int shard, std::string_view key, uint64_t id, int worker);
  void RememberKeys(CmdCtx& ctx, CmdArgs args);
  // On any worker: remembers `keys` (on their shards) as read by client `id` of `worker`.
  void RememberKeyList(const std::vector<std::string>& keys, uint64_t id, int worker);
  void KeyModified(Worker* w, std::string_view key, uint64_t writer);
  // FLUSHALL / FLUSHDB: a null invalidation to every tracking client, every table cleared.
  // On the flusher's worker.
  void Flushed(Worker* w, uint64_t writer);

 private:
  struct Reader {
    uint64_t id;
    int worker;
  };
  struct PerWorker {
    absl::flat_hash_map<uint64_t, TrackingClient> clients;
    absl::flat_hash_map<std::string, std::vector<Reader>> keys;
  };
  struct Bcast {
    std::string prefix;
    uint64_t id;
    int worker;
  };
  // On the tracking client's worker: sends `payload` (the RESP of the keys: an array, or null)
  // to it or to its redirect target.
  void Deliver(int worker, uint64_t id, std::string payload, uint64_t writer, bool reposted,
               bool is_flush);
  void DeliverRedirect(int worker, uint64_t target, std::string payload, uint64_t from,
                       int from_worker);
  void UpdateActive();

  Service* svc_;
  std::vector<std::unique_ptr<PerWorker>> local_;
  std::atomic<int64_t> clients_{0};
  std::atomic<int64_t> bcast_count_{0};
  std::mutex mu_;
  std::vector<Bcast> bcast_;  // GUARDED_BY(mu_)
};

// The hooks (notify.cc, service.cc, key_space.cc): cheap no-ops with no tracking client.
void TrackingKeyModified(Service* svc, Worker* w, std::string_view key, uint64_t writer);

}  // namespace kora
