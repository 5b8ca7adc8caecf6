// DUMP and RESTORE with Redis 7.0's payload format (core/rdb.h), so values move between Kora
// and Redis in both directions. See docs/design/dump-restore.md.
#include <string>

#include "base/strutil.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/hash_set_common.h"
#include "commands/notify.h"
#include "commands/service.h"
#include "commands/stream_util.h"
#include "commands/zset_util.h"
#include "core/rdb.h"

namespace kora {
namespace {

void CmdDump(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ctx.db().Find(args[1], ctx.now_ms);
  ShardStats& stats = ctx.shard().stats();
  if (e == nullptr) {
    ++stats.keyspace_misses;
    return ctx.rb->Null();
  }
  ++stats.keyspace_hits;
  std::string payload;
  rdb::DumpPayload(e->value, &payload);
  ctx.rb->Bulk(payload);
}

struct RestoreArgs {
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
};

// Redis's restoreCommand option loop: "" or the error to reply.
std::string ParseRestoreArgs(CmdArgs args, RestoreArgs* o) {
  for (size_t j = 4; j < args.size(); ++j) {
    size_t additional = args.size() - j - 1;
    if (EqualsIgnoreCase(args[j], "replace")) {
      o->replace = true;
    } else if (EqualsIgnoreCase(args[j], "absttl")) {
      o->absttl = true;
    } else if (EqualsIgnoreCase(args[j], "idletime") && additional >= 1 && o->freq == -1) {
      if (!ParseInt64(args[j + 1], &o->idle)) return std::string(err::kNotInt);
      if (o->idle < 0) return "ERR Invalid IDLETIME value, must be >= 0";
      ++j;
    } else if (EqualsIgnoreCase(args[j], "freq") && additional >= 1 && o->idle == -1) {
      if (!ParseInt64(args[j + 1], &o->freq)) return std::string(err::kNotInt);
      if (o->freq < 0 || o->freq > 255) return "ERR Invalid FREQ value, must be >= 0 and <= 255";
      ++j;
    } else {
      return std::string(err::kSyntax);
    }
  }
  return "";
}

rdb::Limits LoadLimits(CmdCtx& ctx) {
  const CollectionLimits& c = GetCollectionLimits(ctx);
  rdb::Limits lim;
  lim.hash_max_listpack_entries = c.hash_max_listpack_entries;
  lim.hash_max_listpack_value = c.hash_max_listpack_value;
  lim.set_max_intset_entries = c.set_max_intset_entries;
  lim.zset = zset::Limits(ctx);
  StreamObject::NodeLimits nl = StreamNodeLimits(ctx);
  lim.stream_node_max_bytes = nl.max_bytes;
  lim.stream_node_max_entries = nl.max_entries;
  return lim;
}

void CmdRestore(CmdArgs args, CmdCtx& ctx) {
  RestoreArgs o;
  if (std::string e = ParseRestoreArgs(args, &o); !e.empty()) return ctx.rb->Error(e);
  DbTable& db = ctx.db();
  std::string_view key = args[1];
  if (!o.replace && db.Peek(key, ctx.now_ms) != nullptr) {
    return ctx.rb->Error("BUSYKEY Target key name already exists.");
  }
  int64_t ttl;
  if (!ParseInt64(args[2], &ttl)) return ctx.rb->Error(err::kNotInt);
  if (ttl < 0) return ctx.rb->Error("ERR Invalid TTL value, must be >= 0");
  Value v;
  switch (rdb::RestorePayload(args[3], LoadLimits(ctx), &v)) {
    case rdb::RestoreStatus::kBadChecksum:
      return ctx.rb->Error("ERR DUMP payload version or checksum are wrong");
    case rdb::RestoreStatus::kBadFormat:
      return ctx.rb->Error("ERR Bad data format");
    case rdb::RestoreStatus::kOk:
      break;
  }
  bool deleted = false;
  if (o.replace) {
    if (KeyEntry* old = db.Peek(key, ctx.now_ms)) {
      db.Erase(old);
      deleted = true;
    }
  }
  if (ttl && !o.absttl) ttl += ctx.now_ms;
  if (ttl && ttl <= ctx.now_ms) {  // already expired
    if (deleted) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
    return ctx.rb->SimpleString("OK");
  }
  KeyEntry* e = db.Insert(key, std::move(v));
  if (ttl) db.SetExpire(e, ttl);
  ConfigStore& c = ctx.svc->config();
  std::string policy = c.Has("maxmemory-policy") ? c.Value("maxmemory-policy") : "noeviction";
  uint32_t clock = DbTable::LruClock(ctx.now_ms);
  if (policy.find("lfu") != std::string::npos) {
    if (o.freq >= 0) {
      e->lfu_counter = static_cast<uint8_t>(o.freq);
      e->access_time = clock;
    }
  } else if (o.idle >= 0) {
    int64_t abs = static_cast<int64_t>(clock) - o.idle;
    e->access_time = static_cast<uint32_t>(abs >= 0 ? abs : abs + kLruClockMax + 1) & kLruClockMax;
  }
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "restore", key);
  ctx.rb->SimpleString("OK");
}

}  // namespace

void RegisterDumpFamily(Service& svc) {
  CommandSpec dump = Cmd("dump", 2, kCmdReadOnly, 1, 1, 1, "keyspace read slow", CmdDump);
  dump.key_specs = {KeySpec{"RO access", 1}};
  CommandSpec restore = Cmd("restore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1,
                            "keyspace write slow dangerous", CmdRestore);
  restore.key_specs = {KeySpec{"OW update", 1}};
  std::vector<CommandSpec> cmds;
  cmds.push_back(std::move(dump));
  cmds.push_back(std::move(restore));
  svc.Register(std::move(cmds));
}

}  // namespace kora
