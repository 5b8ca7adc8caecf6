#include "commands/notify.h"

#include <string>

#include "base/strutil.h"
#include "commands/pubsub_hub.h"
#include "commands/tracking.h"
#include "core/db_table.h"

namespace kora {
namespace {

// Raises "expired" and "new" for one Service; one instance observes every table.
class KeyspaceObserver final : public KeyObserver {
 public:
  explicit KeyspaceObserver(Service* svc) : svc_(svc) {}

  void OnExpired(DbTable& table, std::string_view key) override {
    if (!(svc_->keyspace_events().load(std::memory_order_relaxed) &
          (kNotifyExpired | kNotifyTracking))) {
      return;
    }
    Raise(table, kNotifyExpired, "expired", key);
  }
  void OnInserted(DbTable& table, std::string_view key) override {
    if (!(svc_->keyspace_events().load(std::memory_order_relaxed) & kNotifyNew)) return;
    Raise(table, kNotifyNew, "new", key);
  }

 private:
  void Raise(DbTable& table, uint32_t type, std::string_view event, std::string_view key) {
    Worker* w = Worker::Current();
    if (w == nullptr) return;
    for (int db = 0; db < kNumDatabases; ++db) {
      if (&w->shard().db(db) == &table) {
        RaiseKeyspaceEvent(svc_, w, db, type, event, key, 0);
        return;
      }
    }
  }
  Service* svc_;
};

}  // namespace

uint32_t KeyspaceEventsFromString(std::string_view flags) {
  uint32_t f = 0;
  for (char ch : flags) {
    switch (ch) {
      case 'A':
        f |= kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
             kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule;
        break;
      case 'g': f |= kNotifyGeneric; break;
      case '$': f |= kNotifyString; break;
      case 'l': f |= kNotifyList; break;
      case 's': f |= kNotifySet; break;
      case 'h': f |= kNotifyHash; break;
      case 'z': f |= kNotifyZset; break;
      case 'x': f |= kNotifyExpired; break;
      case 'e': f |= kNotifyEvicted; break;
      case 'K': f |= kNotifyKeyspace; break;
      case 'E': f |= kNotifyKeyevent; break;
      case 't': f |= kNotifyStream; break;
      case 'm': f |= kNotifyKeyMiss; break;
      case 'd': f |= kNotifyModule; break;
      case 'n': f |= kNotifyNew; break;
      default: break;
    }
  }
  if (!(f & (kNotifyKeyspace | kNotifyKeyevent))) return 0;
  return f;
}

void SetKeyspaceEvents(Service& svc, std::string_view flags) {
  uint32_t f = KeyspaceEventsFromString(flags);
  uint32_t old = svc.keyspace_events().load();
  while (!svc.keyspace_events().compare_exchange_weak(old, f | (old & kNotifyTracking))) {
  }
  if (KeyObserver* o = svc.pubsub().key_observer()) {
    o->want_inserted.store((f & kNotifyNew) != 0, std::memory_order_relaxed);
  }
}

void RaiseKeyspaceEvent(Service* svc, Worker* worker, int db, uint32_t type,
                        std::string_view event, std::string_view key, uint64_t writer) {
  if ((svc->keyspace_events().load(std::memory_order_relaxed) & kNotifyTracking) &&
      type != kNotifyKeyMiss && type != kNotifyNew) {
    TrackingKeyModified(svc, worker, key, writer);
  }
  PublishKeyspaceEvent(svc, worker, db, type, event, key);
}

void PublishKeyspaceEvent(Service* svc, Worker* worker, int db, uint32_t type,
                          std::string_view event, std::string_view key) {
  uint32_t flags = svc->keyspace_events().load(std::memory_order_relaxed);
  if (!(flags & type)) return;
  PubSubHub& hub = svc->pubsub();
  std::string dbs = Int64ToString(db);
  if (flags & kNotifyKeyspace) {
    std::string chan = "__keyspace@" + dbs + "__:";
    chan.append(key);
    hub.Publish(worker, false, chan, event, nullptr);
  }
  if (flags & kNotifyKeyevent) {
    std::string chan = "__keyevent@" + dbs + "__:";
    chan.append(event);
    hub.Publish(worker, false, chan, key, nullptr);
  }
}

void InstallKeyspaceObservers(Service& svc) {
  KeyObserver* o = svc.pubsub().SetKeyObserver(std::make_unique<KeyspaceObserver>(&svc));
  o->want_inserted.store((svc.keyspace_events().load() & kNotifyNew) != 0);
  Engine& eng = svc.engine();
  for (int w = 0; w < eng.size(); ++w) {
    for (int db = 0; db < kNumDatabases; ++db) eng.worker(w).shard().db(db).set_observer(o);
  }
}

}  // namespace kora
