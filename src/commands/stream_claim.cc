// XCLAIM and XAUTOCLAIM: moving pending entries of a consumer group to another consumer, with
// Redis 7.0's semantics (the claiming consumer is created only when something is claimed).
#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "commands/stream_util.h"

namespace kora {

namespace {

// Moves pending entry `id` to consumer `c` (the NACK's owner may be null after FORCE).
void TakeOver(StreamNack* nack, StreamConsumer* c, StreamId id) {
  if (nack->consumer == c) return;
  if (nack->consumer) nack->consumer->pel.erase(id);
  c->pel.insert(id);
  nack->consumer = c;
}

// Redis's lazy consumer lookup of XCLAIM/XAUTOCLAIM (refreshing its seen time).
StreamConsumer* ClaimingConsumer(CmdCtx& ctx, StreamGroup* g, std::string_view name) {
  StreamConsumer* c = g->FindConsumer(name);
  if (c) {
    c->seen_time = ctx.now_ms;
    return c;
  }
  return g->CreateConsumer(name, ctx.now_ms);
}

// ---- XCLAIM

void CmdXClaim(CmdArgs args, CmdCtx& ctx) {
  bool wrong;
  StreamObject* s = FindStream(ctx, args[1], /*count_stats=*/true, &wrong);
  if (wrong) return;
  StreamGroup* g = s ? s->FindGroup(args[2]) : nullptr;
  if (g == nullptr) {
    ctx.rb->Error(NoKeyOrGroup(args));
    return;
  }
  int64_t minidle;
  if (!ParseLongLongOrReply(ctx, args[4], &minidle,
                            "ERR Invalid min-idle-time argument for XCLAIM")) {
    return;
  }
  if (minidle < 0) minidle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (StreamId id; j < args.size() && ParseStreamId(args[j], &id, 0, true); ++j) {
    ids.push_back(id);
  }
  int64_t now = ctx.now_ms;
  int64_t delivery = -1, retrycount = -1;
  bool force = false, justid = false;
  StreamId last_id;
  for (; j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    std::string_view opt = args[j];
    if (EqualsIgnoreCase(opt, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "justid")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "idle") && more) {
      if (!ParseLongLongOrReply(ctx, args[++j], &delivery,
                                "ERR Invalid IDLE option argument for XCLAIM")) {
        return;
      }
      delivery = static_cast<int64_t>(static_cast<uint64_t>(now) - static_cast<uint64_t>(delivery));
    } else if (EqualsIgnoreCase(opt, "time") && more) {
      if (!ParseLongLongOrReply(ctx, args[++j], &delivery,
                                "ERR Invalid TIME option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(opt, "retrycount") && more) {
      if (!ParseLongLongOrReply(ctx, args[++j], &retrycount,
                                "ERR Invalid RETRYCOUNT option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(opt, "lastid") && more) {
      if (!ParseStreamId(args[++j], &last_id, 0, /*strict=*/true)) {
        ctx.rb->Error(stream_err::kInvalidId);
        return;
      }
    } else {
      ctx.rb->Error("ERR Unrecognized XCLAIM option '" + CStr(opt) + "'");
      return;
    }
  }
  if (last_id > g->last_id) g->last_id = last_id;
  // A bogus delivery time (negative or in the future) means now.
  if (delivery < 0 || delivery > now) delivery = now;

  StreamConsumer* consumer = nullptr;
  std::string body;
  ReplyBuilder b(&body, ctx.rb->resp());
  int64_t n = 0;
  for (StreamId id : ids) {
    auto it = g->pel.find(id);
    if (!s->Exists(id)) {
      // The entry is gone: so is its pending record.
      if (it != g->pel.end()) {
        it->second.consumer->pel.erase(id);
        g->pel.erase(it);
      }
      continue;
    }
    if (force && it == g->pel.end()) {
      StreamNack fresh;
      fresh.delivery_time = now;
      it = g->pel.emplace(id, fresh).first;
    }
    if (it == g->pel.end()) continue;
    StreamNack& nack = it->second;
    if (nack.consumer && minidle && now - nack.delivery_time < minidle) continue;
    if (consumer == nullptr) consumer = ClaimingConsumer(ctx, g, args[3]);
    nack.delivery_time = delivery;
    if (retrycount >= 0) {
      nack.delivery_count = static_cast<uint64_t>(retrycount);
    } else if (!justid) {
      ++nack.delivery_count;
    }
    TakeOver(&nack, consumer, id);
    if (justid) {
      ReplyStreamId(b, id);
    } else if (!ReplyEntryById(b, *s, id)) {
      b.Null();
    }
    ++n;
  }
  ctx.rb->ArrayHeader(n);
  ctx.rb->Raw(body);
}

// ---- XAUTOCLAIM

void CmdXAutoClaim(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ctx.db().Find(args[1], ctx.now_ms);  // type checked after the arguments
  ShardStats& st = ctx.shard().stats();
  e ? ++st.keyspace_hits : ++st.keyspace_misses;
  int64_t minidle;
  if (!ParseLongLongOrReply(ctx, args[4], &minidle,
                            "ERR Invalid min-idle-time argument for XAUTOCLAIM")) {
    return;
  }
  if (minidle < 0) minidle = 0;
  StreamId start;
  bool startex;
  if (!ParseIntervalId(args[5], &start, &startex, 0)) {
    ctx.rb->Error(stream_err::kInvalidId);
    return;
  }
  if (startex && !start.Incr()) {
    ctx.rb->Error(stream_err::kStartInterval);
    return;
  }
  int64_t count = 100;
  bool justid = false;
  for (size_t j = 6; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "count") && j + 1 < args.size()) {
      constexpr int64_t kMaxCount = INT64_MAX / 16;  // LONG_MAX / sizeof(streamID)
      if (!ParseInt64(args[j + 1], &count) || count < 1 || count > kMaxCount) {
        ctx.rb->Error("ERR COUNT must be > 0");
        return;
      }
      ++j;
    } else if (EqualsIgnoreCase(args[j], "justid")) {
      justid = true;
    } else {
      ctx.rb->Error(err::kSyntax);
      return;
    }
  }
  if (e && e->value.type() != ValueType::kStream) {
    ctx.rb->Error(err::kWrongType);
    return;
  }
  StreamObject* s = e ? e->value.As<StreamObject>() : nullptr;
  StreamGroup* g = s ? s->FindGroup(args[2]) : nullptr;
  if (g == nullptr) {
    ctx.rb->Error(NoKeyOrGroup(args));
    return;
  }
  // Redis allocates COUNT stream IDs up front; past the address space that fails.
  if (count > (int64_t{1} << 47) / 16) {
    ctx.rb->Error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
    return;
  }
  int64_t now = ctx.now_ms;
  int64_t attempts = count * 10;
  StreamConsumer* consumer = nullptr;
  std::vector<StreamId> deleted;
  std::string body;
  ReplyBuilder b(&body, ctx.rb->resp());
  int64_t n = 0;
  auto it = g->pel.lower_bound(start);
  while (attempts-- && count && it != g->pel.end()) {
    StreamId id = it->first;
    StreamNack& nack = it->second;
    if (!s->Exists(id)) {
      nack.consumer->pel.erase(id);
      it = g->pel.erase(it);
      deleted.push_back(id);
      --count;  // deleted IDs count against the reply size
      continue;
    }
    if (minidle && now - nack.delivery_time < minidle) {
      ++it;
      continue;
    }
    if (consumer == nullptr) consumer = ClaimingConsumer(ctx, g, args[3]);
    nack.delivery_time = now;
    if (!justid) ++nack.delivery_count;
    TakeOver(&nack, consumer, id);
    if (justid) {
      ReplyStreamId(b, id);
    } else {
      ReplyEntryById(b, *s, id);
    }
    ++n;
    --count;
    ++it;
  }
  ReplyBuilder& rb = *ctx.rb;
  rb.ArrayHeader(3);
  ReplyStreamId(rb, it == g->pel.end() ? StreamId{} : it->first);
  rb.ArrayHeader(n);
  rb.Raw(body);
  rb.ArrayHeader(static_cast<int64_t>(deleted.size()));
  for (StreamId id : deleted) ReplyStreamId(rb, id);
}

}  // namespace

std::vector<CommandSpec> StreamClaimCommands() {
  const uint32_t kW = kCmdWrite | kCmdFast;
  return {
      Cmd("xclaim", -6, kW, 1, 1, 1, "write stream fast", CmdXClaim),
      Cmd("xautoclaim", -6, kW, 1, 1, 1, "write stream fast", CmdXAutoClaim),
  };
}

}  // namespace kora
