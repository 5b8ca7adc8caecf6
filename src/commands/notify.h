// Keyspace notifications (notify-keyspace-events), as Redis's notify.c.
//
// Write commands call NotifyKeyspaceEvent(ctx, class, event, key) after they change a key; with
// notifications off (the default) that is one atomic load and one branch. When the class is
// enabled the event is published, from the shard that raised it, on
// __keyspace@<db>__:<key> (message: the event) and/or __keyevent@<db>__:<event> (message: the
// key), through the pub/sub registry (pubsub_hub.h). Expired keys (lazy and active) raise
// "expired" and new keys raise "new" through the DbTable observer installed by
// InstallKeyspaceObservers. See docs/design/pubsub.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "commands/notify.h"
#include "commands/command.h"
#include "commands/service.h"

namespace kora {

// Redis's NOTIFY_* classes.
enum NotifyClass : uint32_t {
  kNotifyKeyspace = 1 << 0,  // K
  kNotifyKeyevent = 1 << 1,  // E
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m
  kNotifyLoaded = 1 << 12,   // module only
  kNotifyModule = 1 << 13,   // d
  kNotifyNew = 1 << 14,      // n
  // Not a Redis class: set while some client uses CLIENT TRACKING (commands/tracking.h), so
  // the same one test sees modifications for invalidation.
  kNotifyTracking = 1u << 30,
};

// The classes of a (validated) notify-keyspace-events value. 0 when neither K nor E is set:
// nothing would be published then.
uint32_t KeyspaceEventsFromString(std::string_view flags);

// Applies a notify-keyspace-events value (the parameter's on_change hook).
void SetKeyspaceEvents(Service& svc, std::string_view flags);

// Publishes the event (the slow path of NotifyKeyspaceEvent). On the shard's worker.
void PublishKeyspaceEvent(Service* svc, Worker* worker, int db, uint32_t type,
                          std::string_view event, std::string_view key);

// The slow path of the helpers below: CLIENT TRACKING invalidation (a modification of `key`
// by client `writer`, 0: the server) and/or the keyspace event.
void RaiseKeyspaceEvent(Service* svc, Worker* worker, int db, uint32_t type,
                        std::string_view event, std::string_view key, uint64_t writer);

// Raises a keyspace event from a command running on the key's shard.
inline void NotifyKeyspaceEvent(CmdCtx& ctx, uint32_t type, std::string_view event,
                                std::string_view key) {
  if (ctx.svc->keyspace_events().load(std::memory_order_relaxed) & (type | kNotifyTracking))
      [[unlikely]] {
    RaiseKeyspaceEvent(ctx.svc, ctx.worker, ctx.db_index, type, event, key, ctx.client_id);
  }
}

// The same for a key of another logical database than the command's (MOVE, COPY ... DB).
inline void NotifyKeyspaceEventDb(CmdCtx& ctx, int db, uint32_t type, std::string_view event,
                                  std::string_view key) {
  if (ctx.svc->keyspace_events().load(std::memory_order_relaxed) & (type | kNotifyTracking))
      [[unlikely]] {
    RaiseKeyspaceEvent(ctx.svc, ctx.worker, db, type, event, key, ctx.client_id);
  }
}

// Raises "evicted" for a key the eviction code removed (db: its logical database).
inline void NotifyEvicted(Service* svc, Worker* worker, int db, std::string_view key) {
  if (svc->keyspace_events().load(std::memory_order_relaxed) &
      (kNotifyEvicted | kNotifyTracking)) [[unlikely]] {
    RaiseKeyspaceEvent(svc, worker, db, kNotifyEvicted, "evicted", key, 0);
  }
}

// Hooks "expired" and "new" into every DbTable of every shard (before the workers start).
void InstallKeyspaceObservers(Service& svc);

}  // namespace kora
