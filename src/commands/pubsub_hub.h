// The pub/sub registry: who listens to which channel, and message delivery.
//
// Shared-nothing for the data path. Each worker keeps the subscriptions of its own connections
// (Local, touched only on that worker's thread). PUBLISH runs on the publisher's worker: it
// delivers to that worker's subscribers inline and sends one task to every other worker that
// has any subscription (an atomic counter per worker, so idle workers cost nothing); each task
// delivers locally and sends its receiver count back. Messages from one worker reach another
// through one FIFO queue, so one client's messages arrive in publish order.
//
// The server-wide counts that PUBSUB CHANNELS/NUMSUB/NUMPAT and INFO read are kept under a
// mutex, updated on subscribe and unsubscribe only (never on PUBLISH).
// See docs/design/pubsub.md.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/functional/any_invocable.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kora {

class ConnContext;
class ConfigStore;
class KeyObserver;
class Worker;
struct CommandSpec;

// Whether a RESP2 client in subscribed mode may run the command ((P|S)(UN)SUBSCRIBE, PING,
// QUIT, RESET).
bool PubSubContextAllows(const CommandSpec& spec);

// Global channels, patterns (PSUBSCRIBE) and shard channels (SSUBSCRIBE).
enum class SubKind : int { kChannel = 0, kPattern = 1, kShard = 2 };

// One class of client-output-buffer-limit (bytes; seconds for the soft limit).
struct OutputLimit {
  int64_t hard = 0, soft = 0, soft_seconds = 0;
};

class PubSubHub {
 public:
  PubSubHub(int workers, ConfigStore* config);
  ~PubSubHub();

  // On c's home worker. Adds (or removes) one subscription; returns false when c was already
  // (or was not) subscribed. Keeps c's subscription counters up to date.
  bool Subscribe(ConnContext* c, SubKind kind, std::string_view name);
  bool Unsubscribe(ConnContext* c, SubKind kind, std::string_view name);
  // The names c is subscribed to (unordered).
  std::vector<std::string> SubscriptionsOf(ConnContext* c, SubKind kind);
  // Drops every subscription of c without replies (close, RESET).
  void RemoveAll(ConnContext* c);

  // Publishes from the current worker `from` to the subscribers of every worker. Returns the
  // number of receivers when no other worker has subscribers (then `done` is not called);
  // otherwise returns -1 and `done`, if set, gets the number later, on `from`, from a task.
  // Shard channels (SPUBLISH) reach only shard subscribers and no pattern.
  int64_t Publish(Worker* from, bool shard, std::string_view channel, std::string_view message,
               absl::AnyInvocable<void(int64_t)> done);
  // Delivers to the subscribers of the current worker; returns how many received it.
  int64_t DeliverLocal(int worker, bool shard, std::string_view channel,
                       std::string_view message);

  // Server-wide views (any thread).
  std::vector<std::string> Channels(SubKind kind, std::string_view pattern);
  int64_t NumSub(SubKind kind, std::string_view name);
  int64_t Count(SubKind kind);  // distinct channels / patterns / shard channels

  // The observer that raises "expired" and "new" (notify.cc); owned here.
  KeyObserver* SetKeyObserver(std::unique_ptr<KeyObserver> o) {
    observer_ = std::move(o);
    return observer_.get();
  }
  KeyObserver* key_observer() { return observer_.get(); }

  // The client-output-buffer-limit class (0 normal, 2 pubsub) as configured; on a worker.
  const OutputLimit& Limit(int worker, int cls);

 private:
  struct ClientSubs {
    absl::flat_hash_set<std::string> names[3];
  };
  struct Local {
    absl::flat_hash_map<std::string, absl::flat_hash_set<ConnContext*>> subs[3];
    absl::flat_hash_map<ConnContext*, ClientSubs> clients;
    uint64_t config_gen = ~uint64_t{0};
    OutputLimit limits[3];
    std::vector<ConnContext*> receivers;  // scratch for delivery
  };
  void Count(ConnContext* c, SubKind kind, int delta);
  void AddGlobal(SubKind kind, const std::string& name, int delta);

  ConfigStore* config_;
  std::unique_ptr<KeyObserver> observer_;
  std::vector<std::unique_ptr<Local>> local_;
  // Subscriptions per worker: [0] channels + patterns (PUBLISH), [1] shard channels.
  std::unique_ptr<std::atomic<int64_t>[]> active_[2];
  std::mutex mu_;
  absl::flat_hash_map<std::string, int64_t> counts_[3];  // GUARDED_BY(mu_)
};

}  // namespace kora
