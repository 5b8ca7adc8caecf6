// Key commands: DEL UNLINK EXISTS TOUCH TYPE OBJECT, and the family's registration (the other
// parts live in key_expire.cc, key_rename.cc and key_space.cc; see key_family.h).
#include "commands/notify.h"
#include "commands/key_family.h"

#include <cstdint>
#include <cstdio>

#include "base/strutil.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "core/list_object.h"
#include "core/rdb.h"

namespace kora {

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString:
      return "string";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
    case ValueType::kHash:
      return "hash";
    case ValueType::kStream:
      return "stream";
  }
  return "none";
}

std::string ParseIntArg(std::string_view s, int* out, const char* msg) {
  int64_t v;
  if (!ParseInt64(s, &v)) return msg ? std::string("ERR ") + msg : std::string(err::kNotInt);
  if (v < INT32_MIN || v > INT32_MAX) {
    return msg ? std::string("ERR ") + msg
               : "ERR value is out of range, value must between -2147483648 and 2147483647";
  }
  *out = static_cast<int>(v);
  return "";
}

namespace {

enum class CountMode { kDelete, kExists, kTouch };

// DEL/UNLINK/EXISTS/TOUCH share one shape: count keys on each shard, sum. EXISTS and TOUCH
// count a repeated key each time, DEL once (the second lookup misses).
int64_t OpCount(CmdArgs keys, CmdCtx& ctx, CountMode mode) {
  int64_t n = 0;
  DbTable& db = ctx.db();
  ShardStats& stats = ctx.shard().stats();
  for (std::string_view key : keys) {
    switch (mode) {
      case CountMode::kDelete:
        if (KeyEntry* e = db.Peek(key, ctx.now_ms)) {
          db.Erase(e);
          NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
          ++n;
        }
        break;
      case CountMode::kExists:
      case CountMode::kTouch: {
        KeyEntry* e =
            mode == CountMode::kExists ? db.Peek(key, ctx.now_ms) : db.Find(key, ctx.now_ms);
        if (e) {
          ++stats.keyspace_hits;
          ++n;
        } else {
          ++stats.keyspace_misses;
        }
        break;
      }
    }
  }
  return n;
}

void CmdDel(CmdArgs args, CmdCtx& ctx) {
  ctx.rb->Integer(OpCount(args.subspan(1), ctx, CountMode::kDelete));
}
void CmdExists(CmdArgs args, CmdCtx& ctx) {
  ctx.rb->Integer(OpCount(args.subspan(1), ctx, CountMode::kExists));
}
void CmdTouch(CmdArgs args, CmdCtx& ctx) {
  ctx.rb->Integer(OpCount(args.subspan(1), ctx, CountMode::kTouch));
}

// Splits the keys by shard, counts on each shard, sums.
void SumAcrossShards(CmdArgs args, CmdCtx& ctx, CountMode mode) {
  Engine& eng = ctx.svc->engine();
  std::vector<std::vector<std::string>> per(eng.size());
  for (size_t i = 1; i < args.size(); ++i) per[eng.ShardOf(args[i])].emplace_back(args[i]);
  std::vector<int> shards;
  auto parts = std::make_shared<std::vector<std::vector<std::string>>>(eng.size());
  for (int s = 0; s < eng.size(); ++s) {
    if (per[s].empty()) continue;
    shards.push_back(s);
    (*parts)[s] = std::move(per[s]);
  }
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  std::shared_ptr<const std::vector<std::vector<std::string>>> keys = std::move(parts);
  ctx.svc->RunOnShards<int64_t>(
      ctx, shards,
      [keys, mode](CmdCtx& c) -> int64_t {
        const std::vector<std::string>& mine = (*keys)[c.worker->id()];
        std::vector<std::string_view> views(mine.begin(), mine.end());
        return OpCount(CmdArgs(views.data(), views.size()), c, mode);
      },
      [pending](std::vector<int64_t>& r) {
        int64_t sum = 0;
        for (int64_t v : r) sum += v;
        pending->Finish([sum](ReplyBuilder& rb) { rb.Integer(sum); });
      });
}

void MultiDel(CmdArgs args, CmdCtx& ctx) { SumAcrossShards(args, ctx, CountMode::kDelete); }
void MultiExists(CmdArgs args, CmdCtx& ctx) { SumAcrossShards(args, ctx, CountMode::kExists); }
void MultiTouch(CmdArgs args, CmdCtx& ctx) { SumAcrossShards(args, ctx, CountMode::kTouch); }

void CmdType(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ctx.db().Peek(args[1], ctx.now_ms);
  if (e) {
    ++ctx.shard().stats().keyspace_hits;
    ctx.rb->SimpleString(TypeName(e->value.type()));
  } else {
    ++ctx.shard().stats().keyspace_misses;
    ctx.rb->SimpleString("none");
  }
}

// ---- OBJECT

std::string MaxmemoryPolicy(CmdCtx& ctx) {
  ConfigStore& c = ctx.svc->config();
  return c.Has("maxmemory-policy") ? c.Value("maxmemory-policy") : "noeviction";
}

bool IsLfuPolicy(const std::string& p) { return p.find("lfu") != std::string::npos; }
bool IsLruPolicy(const std::string& p) { return p.find("lru") != std::string::npos; }

// Redis's objectCommandLookupOrReply: a lookup that does not count as an access.
KeyEntry* ObjectLookup(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ctx.db().Peek(args[2], ctx.now_ms);
  if (e) {
    ++ctx.shard().stats().keyspace_hits;
  } else {
    ++ctx.shard().stats().keyspace_misses;
    ctx.rb->Null();
  }
  return e;
}

void CmdObjectEncoding(CmdArgs args, CmdCtx& ctx) {
  if (KeyEntry* e = ObjectLookup(args, ctx)) ctx.rb->Bulk(e->value.encoding_name());
}

void CmdObjectFreq(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ObjectLookup(args, ctx);
  if (!e) return;
  if (!IsLfuPolicy(MaxmemoryPolicy(ctx))) {
    ctx.rb->Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust.");
    return;
  }
  ctx.rb->Integer(ctx.db().LfuValue(e, ctx.now_ms));
}

void CmdObjectIdletime(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ObjectLookup(args, ctx);
  if (!e) return;
  if (IsLfuPolicy(MaxmemoryPolicy(ctx))) {
    ctx.rb->Error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
    return;
  }
  ctx.rb->Integer(static_cast<int64_t>(DbTable::IdleMs(e, ctx.now_ms) / 1000));
}

// Redis shares the objects of the integers 0..9999 (refcount INT_MAX) unless maxmemory is set
// with an LRU/LFU policy (OBJ_SHARED_INTEGERS, MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
int64_t Refcount(const Value& v, CmdCtx& ctx) {
  bool shared = v.is_int() && v.int_value() >= 0 && v.int_value() < 10000;
  if (shared) {
    ConfigStore& c = ctx.svc->config();
    std::string policy = MaxmemoryPolicy(ctx);
    if (c.Has("maxmemory") && c.IntValue("maxmemory") != 0 &&
        (IsLfuPolicy(policy) || IsLruPolicy(policy))) {
      shared = false;
    }
  }
  return shared ? 2147483647 : 1;
}

void CmdObjectRefcount(CmdArgs args, CmdCtx& ctx) {
  if (KeyEntry* e = ObjectLookup(args, ctx)) ctx.rb->Integer(Refcount(e->value, ctx));
}

// Redis's DEBUG OBJECT line: the value's address, refcount, encoding, the size of its RDB
// serialization (as DUMP writes it, without type byte and footer), LRU clock and idle time,
// and for lists the quicklist figures (Kora's chunks and the bytes of their entries).
std::string DebugObjectLine(const KeyEntry& e, CmdCtx& c) {
  std::string rdb;
  rdb::SaveObject(e.value, &rdb);
  char head[160];
  std::snprintf(head, sizeof(head),
                "Value at:%p refcount:%lld encoding:%s serializedlength:%zu lru:%u "
                "lru_seconds_idle:%llu",
                static_cast<const void*>(&e.value), static_cast<long long>(Refcount(e.value, c)),
                e.value.encoding_name(), rdb.empty() ? size_t{0} : rdb.size() - 1,
                static_cast<unsigned>(e.access_time),
                static_cast<unsigned long long>(DbTable::IdleMs(&e, c.now_ms) / 1000));
  std::string line = head;
  if (e.value.type() == ValueType::kList) {
    const auto* l = e.value.As<ListObject>();
    size_t nodes = l->chunk_count();
    char ql[160];
    std::snprintf(ql, sizeof(ql),
                  " ql_nodes:%zu ql_avg_node:%.2f ql_listpack_max:-2 ql_compressed:0 "
                  "ql_uncompressed_size:%zu",
                  nodes, nodes ? static_cast<double>(l->size()) / static_cast<double>(nodes) : 0.0,
                  l->entry_bytes());
    line += ql;
  }
  return line;
}

void CmdObjectHelp(CmdArgs, CmdCtx& ctx) {
  static constexpr const char* kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.rb->SimpleString(l);
}

CommandSpec ObjectCommand() {
  CommandSpec object = Cmd("object", -2, 0, 0, 0, 0, "slow", nullptr);
  uint32_t ro = kCmdReadOnly;
  object.subcommands = {
      Cmd("object|encoding", 3, ro, 2, 2, 1, "keyspace read slow", CmdObjectEncoding),
      Cmd("object|freq", 3, ro, 2, 2, 1, "keyspace read slow", CmdObjectFreq),
      Cmd("object|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, "keyspace slow", CmdObjectHelp),
      Cmd("object|idletime", 3, ro, 2, 2, 1, "keyspace read slow", CmdObjectIdletime),
      Cmd("object|refcount", 3, ro, 2, 2, 1, "keyspace read slow", CmdObjectRefcount),
  };
  return object;
}

}  // namespace

void RegisterKeyFamily(Service& svc) {
  const uint32_t ro_fast = kCmdReadOnly | kCmdFast;
  std::vector<CommandSpec> cmds = {
      Cmd("del", -2, kCmdWrite, 1, -1, 1, "keyspace write slow", CmdDel, MultiDel),
      Cmd("unlink", -2, kCmdWrite | kCmdFast, 1, -1, 1, "keyspace write fast", CmdDel, MultiDel),
      Cmd("exists", -2, ro_fast, 1, -1, 1, "keyspace read fast", CmdExists, MultiExists),
      Cmd("touch", -2, ro_fast, 1, -1, 1, "keyspace read fast", CmdTouch, MultiTouch),
      Cmd("type", 2, ro_fast, 1, 1, 1, "keyspace read fast", CmdType),
      ObjectCommand(),
  };
  for (auto* part : {&KeyExpireCommands, &KeyRenameCommands, &KeySpaceCommands}) {
    for (CommandSpec& c : (*part)()) cmds.push_back(std::move(c));
  }
  svc.Register(std::move(cmds));
}

void DebugObject(std::string_view key, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  ConnContext* cp = ctx.conn;
  cp->Ref();
  int db = ctx.db_index;
  ctx.svc->RunOnShards<std::string>(
      ctx, {ctx.svc->engine().ShardOf(key)},
      [k = std::string(key), db](CmdCtx& c) -> std::string {
        KeyEntry* e = c.shard().db(db).Peek(k, c.now_ms);
        return e ? "+" + DebugObjectLine(*e, c) + "\r\n" : "-ERR no such key\r\n";
      },
      [pending, cp](std::vector<std::string>& out) {
        pending->Finish([&](ReplyBuilder& rb) { rb.Raw(out[0]); });
        cp->Unref();
      });
}

}  // namespace kora
