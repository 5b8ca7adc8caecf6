// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP, with Redis 7.0's
// field names and order (maps in RESP3).
#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/server_family.h"
#include "commands/service.h"
#include "commands/stream_util.h"

namespace kora {

namespace {

// lookupKeyReadOrReply(nokeyerr) + checkType.
StreamObject* InfoLookup(CmdCtx& ctx, std::string_view key) {
  bool wrong;
  StreamObject* s = FindStream(ctx, key, /*count_stats=*/true, &wrong);
  if (s == nullptr && !wrong) ctx.rb->Error(err::kNoSuchKey);
  return s;
}

void ReplyLag(ReplyBuilder& rb, const StreamObject& s, const StreamGroup& g) {
  std::optional<int64_t> lag = s.Lag(g);
  lag ? rb.Integer(*lag) : rb.Null();
}

void ReplyEntriesRead(ReplyBuilder& rb, const StreamGroup& g) {
  if (g.entries_read != StreamGroup::kInvalidEntriesRead) {
    rb.Integer(g.entries_read);
  } else {
    rb.Null();
  }
}

void CmdXInfoConsumers(CmdArgs args, CmdCtx& ctx) {
  StreamObject* s = InfoLookup(ctx, args[2]);
  if (s == nullptr) return;
  StreamGroup* g = s->FindGroup(args[3]);
  if (g == nullptr) {
    ctx.rb->Error("NOGROUP No such consumer group '" + CStr(args[3]) + "' for key name '" +
                  CStr(args[2]) + "'");
    return;
  }
  ReplyBuilder& rb = *ctx.rb;
  rb.ArrayHeader(static_cast<int64_t>(g->consumers.size()));
  for (const auto& [name, c] : g->consumers) {
    int64_t idle = ctx.now_ms - c->seen_time;
    rb.MapHeader(3);
    rb.Bulk("name");
    rb.Bulk(name);
    rb.Bulk("pending");
    rb.Integer(static_cast<int64_t>(c->pel.size()));
    rb.Bulk("idle");
    rb.Integer(idle < 0 ? 0 : idle);
  }
}

void CmdXInfoGroups(CmdArgs args, CmdCtx& ctx) {
  StreamObject* s = InfoLookup(ctx, args[2]);
  if (s == nullptr) return;
  ReplyBuilder& rb = *ctx.rb;
  rb.ArrayHeader(static_cast<int64_t>(s->groups().size()));
  for (const auto& [name, g] : s->groups()) {
    rb.MapHeader(6);
    rb.Bulk("name");
    rb.Bulk(name);
    rb.Bulk("consumers");
    rb.Integer(static_cast<int64_t>(g->consumers.size()));
    rb.Bulk("pending");
    rb.Integer(static_cast<int64_t>(g->pel.size()));
    rb.Bulk("last-delivered-id");
    ReplyStreamId(rb, g->last_id);
    rb.Bulk("entries-read");
    ReplyEntriesRead(rb, *g);
    rb.Bulk("lag");
    ReplyLag(rb, *s, *g);
  }
}

// One group of XINFO STREAM FULL, its PEL and consumers' PELs cut at `count` (0: all).
void ReplyFullGroup(ReplyBuilder& rb, const StreamObject& s, const std::string& name,
                    const StreamGroup& g, size_t count) {
  rb.MapHeader(7);
  rb.Bulk("name");
  rb.Bulk(name);
  rb.Bulk("last-delivered-id");
  ReplyStreamId(rb, g.last_id);
  rb.Bulk("entries-read");
  ReplyEntriesRead(rb, g);
  rb.Bulk("lag");
  ReplyLag(rb, s, g);
  rb.Bulk("pel-count");
  rb.Integer(static_cast<int64_t>(g.pel.size()));
  rb.Bulk("pending");
  size_t n = count == 0 ? g.pel.size() : std::min(count, g.pel.size());
  rb.ArrayHeader(static_cast<int64_t>(n));
  auto it = g.pel.begin();
  for (size_t i = 0; i < n; ++i, ++it) {
    rb.ArrayHeader(4);
    ReplyStreamId(rb, it->first);
    rb.Bulk(it->second.consumer->name);
    rb.Integer(it->second.delivery_time);
    rb.Integer(static_cast<int64_t>(it->second.delivery_count));
  }
  rb.Bulk("consumers");
  rb.ArrayHeader(static_cast<int64_t>(g.consumers.size()));
  for (const auto& [cname, c] : g.consumers) {
    rb.MapHeader(4);
    rb.Bulk("name");
    rb.Bulk(cname);
    rb.Bulk("seen-time");
    rb.Integer(c->seen_time);
    rb.Bulk("pel-count");
    rb.Integer(static_cast<int64_t>(c->pel.size()));
    rb.Bulk("pending");
    size_t m = count == 0 ? c->pel.size() : std::min(count, c->pel.size());
    rb.ArrayHeader(static_cast<int64_t>(m));
    auto pit = c->pel.begin();
    for (size_t i = 0; i < m; ++i, ++pit) {
      const StreamNack& nack = g.pel.find(*pit)->second;
      rb.ArrayHeader(3);
      ReplyStreamId(rb, *pit);
      rb.Integer(nack.delivery_time);
      rb.Integer(static_cast<int64_t>(nack.delivery_count));
    }
  }
}

void CmdXInfoStream(CmdArgs args, CmdCtx& ctx) {
  StreamObject* s = InfoLookup(ctx, args[2]);
  if (s == nullptr) return;
  size_t optc = args.size() - 3;
  bool full = optc > 0;
  int64_t count = 10;  // FULL's default, so one call cannot block the server for long
  if (full) {
    if ((optc != 1 && optc != 3) || !EqualsIgnoreCase(args[3], "full") ||
        (optc == 3 && !EqualsIgnoreCase(args[4], "count"))) {
      ReplySubcommandSyntaxError(ctx, args);
      return;
    }
    if (optc == 3) {
      if (!ParseLongLongOrReply(ctx, args[5], &count)) return;
      if (count < 0) count = 10;
    }
  }
  ReplyBuilder& rb = *ctx.rb;
  rb.MapHeader(full ? 9 : 10);
  rb.Bulk("length");
  rb.Integer(static_cast<int64_t>(s->length()));
  rb.Bulk("radix-tree-keys");
  rb.Integer(static_cast<int64_t>(s->rax_keys()));
  rb.Bulk("radix-tree-nodes");
  rb.Integer(static_cast<int64_t>(s->RaxNodes()));
  rb.Bulk("last-generated-id");
  ReplyStreamId(rb, s->last_id());
  rb.Bulk("max-deleted-entry-id");
  ReplyStreamId(rb, s->max_deleted_id());
  rb.Bulk("entries-added");
  rb.Integer(static_cast<int64_t>(s->entries_added()));
  rb.Bulk("recorded-first-entry-id");
  ReplyStreamId(rb, s->first_id());
  if (!full) {
    rb.Bulk("groups");
    rb.Integer(static_cast<int64_t>(s->groups().size()));
    for (bool rev : {false, true}) {
      rb.Bulk(rev ? "last-entry" : "first-entry");
      StreamObject::Iterator it(*s, StreamId{}, StreamId::Max(), rev);
      StreamId id;
      if (it.Next(&id)) {
        ReplyEntry(rb, id, it);
      } else {
        rb.Null();
      }
    }
    return;
  }
  rb.Bulk("entries");
  ReplyRange(rb, *s, StreamId{}, StreamId::Max(), static_cast<size_t>(count), false);
  rb.Bulk("groups");
  rb.ArrayHeader(static_cast<int64_t>(s->groups().size()));
  for (const auto& [name, g] : s->groups()) {
    ReplyFullGroup(rb, *s, name, *g, static_cast<size_t>(count));
  }
}

void CmdXInfoHelp(CmdArgs, CmdCtx& ctx) {
  ReplyHelp(ctx, "XINFO",
            {"CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.", "GROUPS <key>",
             "    Show the stream consumer groups.", "STREAM <key> [FULL [COUNT <count>]",
             "    Show information about the stream."});
}

}  // namespace

std::vector<CommandSpec> StreamInfoCommands() {
  const uint32_t kR = kCmdReadOnly;
  CommandSpec xinfo = Cmd("xinfo", -2, 0, 0, 0, 0, "slow", nullptr);
  xinfo.subcommands = {
      Cmd("xinfo|consumers", 4, kR, 2, 2, 1, "read stream slow", CmdXInfoConsumers),
      Cmd("xinfo|groups", 3, kR, 2, 2, 1, "read stream slow", CmdXInfoGroups),
      Cmd("xinfo|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, "stream slow", CmdXInfoHelp),
      Cmd("xinfo|stream", -3, kR, 2, 2, 1, "read stream slow", CmdXInfoStream),
  };
  std::vector<CommandSpec> out;
  out.push_back(std::move(xinfo));
  return out;
}

}  // namespace kora
