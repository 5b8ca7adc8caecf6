// Stream consumer groups: XGROUP, XACK, XPENDING (Redis 7.0 semantics). XCLAIM and XAUTOCLAIM
// are in stream_claim.cc.
#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/family_util.h"
#include "commands/server_family.h"
#include "commands/service.h"
#include "commands/stream_util.h"

namespace kora {

namespace {

// ---- XGROUP

void CmdXGroupHelp(CmdArgs args, CmdCtx& ctx) {
  ReplyHelp(ctx, "XGROUP",
            {"CREATE <key> <groupname> <id|$> [option]",
             "    Create a new consumer group. Options are:", "    * MKSTREAM",
             "      Create the empty stream if it does not exist.",
             "    * ENTRIESREAD entries_read",
             "      Set the group's entries_read counter (internal use).",
             "CREATECONSUMER <key> <groupname> <consumer>",
             "    Create a new consumer in the specified group.",
             "DELCONSUMER <key> <groupname> <consumer>", "    Remove the specified consumer.",
             "DESTROY <key> <groupname>", "    Remove the specified group.",
             "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
             "    Set the current group ID and entries_read counter."});
}

// Redis's xgroupCommand for every subcommand but HELP.
void CmdXGroup(CmdArgs args, CmdCtx& ctx) {
  std::string_view opt = args[1];
  size_t argc = args.size();
  bool create = EqualsIgnoreCase(opt, "create");
  bool setid = EqualsIgnoreCase(opt, "setid");
  bool mkstream = false;
  int64_t entries_read = StreamGroup::kInvalidEntriesRead;
  for (size_t i = 5; i < argc;) {
    if (create && EqualsIgnoreCase(args[i], "mkstream")) {
      mkstream = true;
      ++i;
    } else if ((create || setid) && EqualsIgnoreCase(args[i], "entriesread") && i + 1 < argc) {
      if (!ParseLongLongOrReply(ctx, args[i + 1], &entries_read)) return;
      if (entries_read < 0 && entries_read != StreamGroup::kInvalidEntriesRead) {
        ctx.rb->Error("ERR value for ENTRIESREAD must be positive or -1");
        return;
      }
      i += 2;
    } else {
      ReplySubcommandSyntaxError(ctx, args);
      return;
    }
  }
  std::string_view key = args[2], name = args[3];
  bool wrong;
  StreamObject* s = FindStream(ctx, key, /*count_stats=*/false, &wrong);
  if (wrong) return;
  StreamGroup* g = nullptr;
  if (!mkstream) {
    if (s == nullptr) {
      ctx.rb->Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE "
                    "you may want to use the MKSTREAM option to create an empty stream "
                    "automatically.");
      return;
    }
    g = s->FindGroup(name);
    if (g == nullptr && !create && !EqualsIgnoreCase(opt, "destroy")) {
      ctx.rb->Error("NOGROUP No such consumer group '" + CStr(name) + "' for key name '" +
                    CStr(key) + "'");
      return;
    }
  }

  if (create && argc >= 5 && argc <= 8) {
    StreamId id;
    if (args[4] == "$") {
      if (s) id = s->last_id();
    } else if (!ParseStreamId(args[4], &id, 0, /*strict=*/true)) {
      ctx.rb->Error(stream_err::kInvalidId);
      return;
    }
    if (s == nullptr) {
      s = ctx.db().Insert(key, Value::Collection(std::make_unique<StreamObject>()))
              ->value.As<StreamObject>();
    }
    if (s->CreateGroup(name, id, entries_read)) {
      NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-create", key);
      ctx.rb->Ok();
    } else {
      ctx.rb->Error("BUSYGROUP Consumer Group name already exists");
    }
  } else if (setid && (argc == 5 || argc == 7)) {
    StreamId id;
    if (args[4] == "$") {
      id = s->last_id();
    } else if (!ParseStreamId(args[4], &id, 0, /*strict=*/false)) {
      ctx.rb->Error(stream_err::kInvalidId);
      return;
    }
    g->last_id = id;
    g->entries_read = entries_read;
    NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-setid", key);
    ctx.rb->Ok();
  } else if (EqualsIgnoreCase(opt, "destroy") && argc == 4) {
    if (g) {
      s->DestroyGroup(name);
      ctx.rb->Integer(1);
      NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-destroy", key);
      NotifyStreamAdd(ctx, key);  // blocked XREADGROUP clients get NOGROUP
    } else {
      ctx.rb->Integer(0);
    }
  } else if (EqualsIgnoreCase(opt, "createconsumer") && argc == 5) {
    bool created = g->CreateConsumer(args[4], ctx.now_ms) != nullptr;
    if (created) NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-createconsumer", key);
    ctx.rb->Integer(created ? 1 : 0);
  } else if (EqualsIgnoreCase(opt, "delconsumer") && argc == 5) {
    StreamConsumer* c = g->FindConsumer(args[4]);
    ctx.rb->Integer(c ? static_cast<int64_t>(g->DeleteConsumer(c)) : 0);
    if (c) NotifyKeyspaceEvent(ctx, kNotifyStream, "xgroup-delconsumer", key);
  } else {
    ReplySubcommandSyntaxError(ctx, args);
  }
}

// ---- XACK

void CmdXAck(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  StreamObject* s = FindStream(ctx, args[1], /*count_stats=*/true, &wrong);
  if (wrong) return;
  StreamGroup* g = s ? s->FindGroup(args[2]) : nullptr;
  if (g == nullptr) {
    ctx.rb->Integer(0);
    return;
  }
  std::vector<StreamId> ids(args.size() - 3);
  for (size_t j = 3; j < args.size(); ++j) {
    if (!ParseStreamId(args[j], &ids[j - 3], 0, /*strict=*/true)) {
      ctx.rb->Error(stream_err::kInvalidId);
      return;
    }
  }
  int64_t acked = 0;
  for (StreamId id : ids) {
    auto it = g->pel.find(id);
    if (it == g->pel.end()) continue;
    it->second.consumer->pel.erase(id);
    g->pel.erase(it);
    ++acked;
  }
  ctx.rb->Integer(acked);
}

// ---- XPENDING

void PendingSummary(CmdCtx& ctx, const StreamGroup& g) {
  ReplyBuilder& rb = *ctx.rb;
  rb.ArrayHeader(4);
  rb.Integer(static_cast<int64_t>(g.pel.size()));
  if (g.pel.empty()) {
    rb.Null();
    rb.Null();
    rb.NullArray();
    return;
  }
  ReplyStreamId(rb, g.pel.begin()->first);
  ReplyStreamId(rb, g.pel.rbegin()->first);
  size_t n = 0;
  for (const auto& kv : g.consumers) n += !kv.second->pel.empty();
  rb.ArrayHeader(static_cast<int64_t>(n));
  for (const auto& [name, c] : g.consumers) {
    if (c->pel.empty()) continue;
    rb.ArrayHeader(2);
    rb.Bulk(name);
    rb.Bulk(std::to_string(c->pel.size()));
  }
}

void CmdXPending(CmdArgs args, CmdCtx& ctx) {
  size_t argc = args.size();
  bool justinfo = argc == 3;
  if (argc != 3 && (argc < 6 || argc > 9)) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  StreamId start, end;
  int64_t count = 0, minidle = 0;
  std::string_view consumer_name;
  bool by_consumer = false;
  if (argc >= 6) {
    size_t startidx = 3;
    if (EqualsIgnoreCase(args[3], "idle")) {
      if (!ParseLongLongOrReply(ctx, args[4], &minidle)) return;
      if (argc < 8) {
        ctx.rb->Error(err::kSyntax);
        return;
      }
      startidx += 2;
    }
    if (!ParseLongLongOrReply(ctx, args[startidx + 2], &count)) return;
    if (count < 0) count = 0;
    bool startex, endex;
    if (!ParseIntervalId(args[startidx], &start, &startex, 0)) {
      ctx.rb->Error(stream_err::kInvalidId);
      return;
    }
    if (startex && !start.Incr()) {
      ctx.rb->Error(stream_err::kStartInterval);
      return;
    }
    if (!ParseIntervalId(args[startidx + 1], &end, &endex, UINT64_MAX)) {
      ctx.rb->Error(stream_err::kInvalidId);
      return;
    }
    if (endex && !end.Decr()) {
      ctx.rb->Error(stream_err::kEndInterval);
      return;
    }
    if (startidx + 3 < argc) {
      consumer_name = args[startidx + 3];
      by_consumer = true;
    }
  }
  bool wrong;
  StreamObject* s = FindStream(ctx, args[1], /*count_stats=*/true, &wrong);
  if (wrong) return;
  StreamGroup* g = s ? s->FindGroup(args[2]) : nullptr;
  if (g == nullptr) {
    ctx.rb->Error(NoKeyOrGroup(args));
    return;
  }
  if (justinfo) {
    PendingSummary(ctx, *g);
    return;
  }
  StreamConsumer* c = nullptr;
  if (by_consumer) {
    c = g->FindConsumer(consumer_name);
    if (c == nullptr) {
      ctx.rb->EmptyArray();
      return;
    }
  }
  std::string body;
  ReplyBuilder b(&body, ctx.rb->resp());
  int64_t n = 0;
  auto emit = [&](StreamId id) {
    if (id > end) return false;
    const StreamNack& nack = g->pel.find(id)->second;
    int64_t idle = ctx.now_ms - nack.delivery_time;
    if (minidle && idle < minidle) return true;
    ++n;
    --count;
    b.ArrayHeader(4);
    ReplyStreamId(b, id);
    b.Bulk(nack.consumer->name);
    b.Integer(idle < 0 ? 0 : idle);
    b.Integer(static_cast<int64_t>(nack.delivery_count));
    return true;
  };
  if (c) {
    for (auto it = c->pel.lower_bound(start); count && it != c->pel.end() && emit(*it); ++it) {
    }
  } else {
    for (auto it = g->pel.lower_bound(start); count && it != g->pel.end() && emit(it->first);
         ++it) {
    }
  }
  ctx.rb->ArrayHeader(n);
  ctx.rb->Raw(body);
}

}  // namespace

std::vector<CommandSpec> StreamConsumerCommands() {
  const uint32_t kW = kCmdWrite;
  CommandSpec xgroup = Cmd("xgroup", -2, 0, 0, 0, 0, "slow", nullptr);
  xgroup.subcommands = {
      Cmd("xgroup|create", -5, kW | kCmdDenyOom, 2, 2, 1, "write stream slow", CmdXGroup),
      Cmd("xgroup|createconsumer", 5, kW | kCmdDenyOom, 2, 2, 1, "write stream slow",
          CmdXGroup),
      Cmd("xgroup|delconsumer", 5, kW, 2, 2, 1, "write stream slow", CmdXGroup),
      Cmd("xgroup|destroy", 4, kW, 2, 2, 1, "write stream slow", CmdXGroup),
      Cmd("xgroup|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, "stream slow", CmdXGroupHelp),
      Cmd("xgroup|setid", -5, kW, 2, 2, 1, "write stream slow", CmdXGroup),
  };
  return {
      std::move(xgroup),
      Cmd("xack", -4, kW | kCmdFast, 1, 1, 1, "write stream fast", CmdXAck),
      Cmd("xpending", -3, kCmdReadOnly, 1, 1, 1, "read stream slow", CmdXPending),
  };
}

}  // namespace kora
