// Streams: XADD XTRIM XDEL XLEN XRANGE XREVRANGE XSETID, and the family's registration.
// Readers (XREAD, XREADGROUP), consumer groups and XINFO live in stream_*.cc.
#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "commands/stream_util.h"

namespace kora {

namespace {

// XADD and XTRIM options (Redis's streamAddTrimArgs).
struct AddTrimArgs {
  StreamId id;
  bool id_given = false;
  bool seq_given = true;
  bool no_mkstream = false;
  StreamTrimArgs trim;
};

// Redis's streamParseAddOrTrimArgsOrReply. Returns the position of the ID for XADD (args.size()
// when none was found), or -1 after replying an error.
int64_t ParseAddOrTrim(CmdArgs args, CmdCtx& ctx, bool xadd, AddTrimArgs* a) {
  StreamTrimArgs& t = a->trim;
  bool limit_given = false;
  size_t i = 2;
  for (; i < args.size(); ++i) {
    size_t more = args.size() - 1 - i;
    std::string_view opt = args[i];
    bool maxlen = EqualsIgnoreCase(opt, "maxlen");
    if (xadd && opt == "*") {
      break;
    } else if ((maxlen || EqualsIgnoreCase(opt, "minid")) && more) {
      if (t.strategy != StreamTrimArgs::kNone) {
        ctx.rb->Error("ERR syntax error, MAXLEN and MINID options at the same time are not "
                      "compatible");
        return -1;
      }
      t.approx = false;
      std::string_view next = args[i + 1];
      if (more >= 2 && next == "~") {
        t.approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (maxlen) {
        if (!ParseLongLongOrReply(ctx, args[i + 1], &t.maxlen)) return -1;
        if (t.maxlen < 0) {
          ctx.rb->Error("ERR The MAXLEN argument must be >= 0.");
          return -1;
        }
      } else if (!ParseStreamId(args[i + 1], &t.minid, 0, /*strict=*/true)) {
        ctx.rb->Error(stream_err::kInvalidId);
        return -1;
      }
      ++i;
      t.strategy = maxlen ? StreamTrimArgs::kMaxLen : StreamTrimArgs::kMinId;
    } else if (EqualsIgnoreCase(opt, "limit") && more) {
      if (!ParseLongLongOrReply(ctx, args[i + 1], &t.limit)) return -1;
      if (t.limit < 0) {
        ctx.rb->Error("ERR The LIMIT argument must be >= 0.");
        return -1;
      }
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      a->no_mkstream = true;
    } else if (xadd) {
      // Anything else is the ID.
      if (!ParseStreamId(opt, &a->id, 0, /*strict=*/true, &a->seq_given)) {
        ctx.rb->Error(stream_err::kInvalidId);
        return -1;
      }
      a->id_given = true;
      break;
    } else {
      ctx.rb->Error(err::kSyntax);
      return -1;
    }
  }
  if (t.limit && t.strategy == StreamTrimArgs::kNone) {
    ctx.rb->Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return -1;
  }
  if (!xadd && t.strategy == StreamTrimArgs::kNone) {
    ctx.rb->Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return -1;
  }
  if (limit_given) {
    if (!t.approx) {
      ctx.rb->Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return -1;
    }
  } else if (t.approx) {
    // Bounded work by default: about 100 nodes.
    t.limit = 100 * StreamNodeLimits(ctx).max_entries;
    if (t.limit <= 0) t.limit = 10000;
    if (t.limit > 1000000) t.limit = 1000000;
  } else {
    t.limit = 0;
  }
  return static_cast<int64_t>(i);
}

void CmdXAdd(CmdArgs args, CmdCtx& ctx) {
  AddTrimArgs a;
  int64_t idpos = ParseAddOrTrim(args, ctx, /*xadd=*/true, &a);
  if (idpos < 0) return;
  size_t field_pos = static_cast<size_t>(idpos) + 1;
  if (args.size() < field_pos + 2 || (args.size() - field_pos) % 2 == 1) {
    ctx.rb->Error("ERR wrong number of arguments for 'xadd' command");
    return;
  }
  if (a.id_given && a.seq_given && a.id.IsZero()) {
    ctx.rb->Error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  std::string_view key = args[1];
  bool wrong;
  StreamObject* s = FindStream(ctx, key, /*count_stats=*/false, &wrong);
  if (wrong) return;
  if (s == nullptr) {
    if (a.no_mkstream) {
      ctx.rb->Null();
      return;
    }
    s = ctx.db().Insert(key, Value::Collection(std::make_unique<StreamObject>()))
            ->value.As<StreamObject>();
  }
  if (s->last_id() == StreamId::Max()) {
    ctx.rb->Error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  StreamId added;
  auto status = s->Add(args.subspan(field_pos), a.id_given ? &a.id : nullptr, a.seq_given,
                       ctx.now_ms, StreamNodeLimits(ctx), &added);
  if (status == StreamObject::AddStatus::kIdTooSmall) {
    ctx.rb->Error("ERR The ID specified in XADD is equal or smaller than the target stream top "
                  "item");
    return;
  }
  if (status == StreamObject::AddStatus::kTooLarge) {
    ctx.rb->Error("ERR Elements are too large to be stored");
    return;
  }
  ReplyStreamId(*ctx.rb, added);
  NotifyKeyspaceEvent(ctx, kNotifyStream, "xadd", key);
  if (s->Trim(a.trim)) NotifyKeyspaceEvent(ctx, kNotifyStream, "xtrim", key);
  NotifyStreamAdd(ctx, key);
}

void CmdXTrim(CmdArgs args, CmdCtx& ctx) {
  AddTrimArgs a;
  if (ParseAddOrTrim(args, ctx, /*xadd=*/false, &a) < 0) return;
  bool wrong;
  StreamObject* s = FindStream(ctx, args[1], /*count_stats=*/false, &wrong);
  if (wrong) return;
  int64_t trimmed = s ? static_cast<int64_t>(s->Trim(a.trim)) : 0;
  if (trimmed) NotifyKeyspaceEvent(ctx, kNotifyStream, "xtrim", args[1]);
  ctx.rb->Integer(trimmed);
}

void CmdXDel(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  StreamObject* s = FindStream(ctx, args[1], /*count_stats=*/false, &wrong);
  if (wrong) return;
  if (s == nullptr) {
    ctx.rb->Integer(0);
    return;
  }
  std::vector<StreamId> ids(args.size() - 2);
  for (size_t j = 2; j < args.size(); ++j) {
    if (!ParseStreamId(args[j], &ids[j - 2], 0, /*strict=*/true)) {
      ctx.rb->Error(stream_err::kInvalidId);
      return;
    }
  }
  int64_t deleted = static_cast<int64_t>(s->DeleteIds(ids));
  if (deleted) NotifyKeyspaceEvent(ctx, kNotifyStream, "xdel", args[1]);
  ctx.rb->Integer(deleted);
}

void CmdXLen(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  StreamObject* s = FindStream(ctx, args[1], /*count_stats=*/true, &wrong);
  if (wrong) return;
  ctx.rb->Integer(s ? static_cast<int64_t>(s->length()) : 0);
}

void RangeGeneric(CmdArgs args, CmdCtx& ctx, bool rev) {
  std::string_view start_arg = rev ? args[3] : args[2];
  std::string_view end_arg = rev ? args[2] : args[3];
  StreamId start, end;
  bool start_ex, end_ex;
  if (!ParseIntervalId(start_arg, &start, &start_ex, 0)) {
    ctx.rb->Error(stream_err::kInvalidId);
    return;
  }
  if (start_ex && !start.Incr()) {
    ctx.rb->Error(stream_err::kStartInterval);
    return;
  }
  if (!ParseIntervalId(end_arg, &end, &end_ex, UINT64_MAX)) {
    ctx.rb->Error(stream_err::kInvalidId);
    return;
  }
  if (end_ex && !end.Decr()) {
    ctx.rb->Error(stream_err::kEndInterval);
    return;
  }
  int64_t count = -1;
  for (size_t j = 4; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "count") && j + 1 < args.size()) {
      if (!ParseLongLongOrReply(ctx, args[j + 1], &count)) return;
      if (count < 0) count = 0;
      ++j;
    } else {
      ctx.rb->Error(err::kSyntax);
      return;
    }
  }
  bool wrong;
  StreamObject* s = FindStream(ctx, args[1], /*count_stats=*/true, &wrong);
  if (wrong) return;
  if (s == nullptr) {
    ctx.rb->EmptyArray();
  } else if (count == 0) {
    ctx.rb->NullArray();
  } else {
    ReplyRange(*ctx.rb, *s, start, end, count == -1 ? 0 : static_cast<size_t>(count), rev);
  }
}

void CmdXRange(CmdArgs args, CmdCtx& ctx) { RangeGeneric(args, ctx, false); }
void CmdXRevRange(CmdArgs args, CmdCtx& ctx) { RangeGeneric(args, ctx, true); }

void CmdXSetId(CmdArgs args, CmdCtx& ctx) {
  StreamId id, max_xdel;
  int64_t entries_added = -1;
  if (!ParseStreamId(args[2], &id, 0, /*strict=*/true)) {
    ctx.rb->Error(stream_err::kInvalidId);
    return;
  }
  for (size_t i = 3; i < args.size(); i += 2) {
    bool more = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "entriesadded") && more) {
      if (!ParseLongLongOrReply(ctx, args[i + 1], &entries_added)) return;
      if (entries_added < 0) {
        ctx.rb->Error("ERR entries_added must be positive");
        return;
      }
    } else if (EqualsIgnoreCase(args[i], "maxdeletedid") && more) {
      if (!ParseStreamId(args[i + 1], &max_xdel, 0, /*strict=*/true)) {
        ctx.rb->Error(stream_err::kInvalidId);
        return;
      }
      if (id < max_xdel) {
        ctx.rb->Error("ERR The ID specified in XSETID is smaller than the provided "
                      "max_deleted_entry_id");
        return;
      }
    } else {
      ctx.rb->Error(err::kSyntax);
      return;
    }
  }
  bool wrong;
  StreamObject* s = FindStream(ctx, args[1], /*count_stats=*/false, &wrong);
  if (wrong) return;
  if (s == nullptr) {
    ctx.rb->Error(err::kNoSuchKey);
    return;
  }
  if (s->length() > 0) {
    StreamId top;
    s->LastValidId(&top);
    if (id < top) {
      ctx.rb->Error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entries_added != -1 && s->length() > static_cast<uint64_t>(entries_added)) {
      ctx.rb->Error("ERR The entries_added specified in XSETID is smaller than the target "
                    "stream length");
      return;
    }
  }
  s->SetLastId(id);
  if (entries_added != -1) s->SetEntriesAdded(static_cast<uint64_t>(entries_added));
  if (!max_xdel.IsZero()) s->SetMaxDeletedId(max_xdel);
  NotifyKeyspaceEvent(ctx, kNotifyStream, "xsetid", args[1]);
  ctx.rb->Ok();
}

}  // namespace

void RegisterStreamFamily(Service& svc) {
  const uint32_t kW = kCmdWrite;
  const uint32_t kR = kCmdReadOnly;
  std::vector<CommandSpec> cmds = {
      Cmd("xadd", -5, kW | kCmdDenyOom | kCmdFast, 1, 1, 1, "write stream fast", CmdXAdd),
      Cmd("xtrim", -4, kW, 1, 1, 1, "write stream slow", CmdXTrim),
      Cmd("xdel", -3, kW | kCmdFast, 1, 1, 1, "write stream fast", CmdXDel),
      Cmd("xlen", 2, kR | kCmdFast, 1, 1, 1, "read stream fast", CmdXLen),
      Cmd("xrange", -4, kR, 1, 1, 1, "read stream slow", CmdXRange),
      Cmd("xrevrange", -4, kR, 1, 1, 1, "read stream slow", CmdXRevRange),
      Cmd("xsetid", -3, kW | kCmdDenyOom | kCmdFast, 1, 1, 1, "write stream fast", CmdXSetId),
  };
  for (auto* part : {StreamReadCommands, StreamConsumerCommands, StreamClaimCommands,
                     StreamInfoCommands}) {
    for (auto& c : part()) cmds.push_back(std::move(c));
  }
  svc.Register(std::move(cmds));
}

}  // namespace kora
