// Counter commands: INCR DECR INCRBY DECRBY INCRBYFLOAT.
#include <cmath>

#include "commands/notify.h"
#include "commands/string_util.h"

namespace kora {
namespace {

// Redis's incrDecrCommand: the result is stored integer encoded, the TTL is kept.
void IncrBy(CmdCtx& ctx, std::string_view key, int64_t incr) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(key, ctx.now_ms);
  int64_t value = 0;
  if (e) {
    if (!e->value.is_string()) {
      ctx.rb->Error(err::kWrongType);
      return;
    }
    if (e->value.is_int()) {
      value = e->value.int_value();
    } else if (!ParseInt64(e->value.StrView(nullptr), &value)) {
      ctx.rb->Error(err::kNotInt);
      return;
    }
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    ctx.rb->Error(err::kOverflow);
    return;
  }
  value += incr;
  if (e) {
    e->value = Value::Int(value);
  } else {
    db.Insert(key, Value::Int(value));
  }
  NotifyKeyspaceEvent(ctx, kNotifyString, "incrby", key);
  ctx.rb->Integer(value);
}

void CmdIncr(CmdArgs args, CmdCtx& ctx) { IncrBy(ctx, args[1], 1); }
void CmdDecr(CmdArgs args, CmdCtx& ctx) { IncrBy(ctx, args[1], -1); }

void CmdIncrBy(CmdArgs args, CmdCtx& ctx) {
  int64_t incr;
  if (!ParseIntOrReply(args[2], &incr, ctx.rb)) return;
  IncrBy(ctx, args[1], incr);
}

void CmdDecrBy(CmdArgs args, CmdCtx& ctx) {
  int64_t incr;
  if (!ParseIntOrReply(args[2], &incr, ctx.rb)) return;
  if (incr == INT64_MIN) {
    ctx.rb->Error("ERR decrement would overflow");
    return;
  }
  IncrBy(ctx, args[1], -incr);
}

// Redis's incrbyfloatCommand: long double arithmetic, the result stored as its human-readable
// text (never integer encoded), the TTL kept.
void CmdIncrByFloat(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  long double value = 0, incr = 0;
  if (e) {
    if (!e->value.is_string()) {
      ctx.rb->Error(err::kWrongType);
      return;
    }
    if (e->value.is_int()) {
      value = static_cast<long double>(e->value.int_value());
    } else if (!ParseLongDouble(e->value.StrView(nullptr), &value)) {
      ctx.rb->Error(err::kNotFloat);
      return;
    }
  }
  if (!ParseLongDouble(args[2], &incr)) {
    ctx.rb->Error(err::kNotFloat);
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.rb->Error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string text = LongDoubleToString(value);
  if (e) {
    e->value = Value::PlainString(text);
  } else {
    db.Insert(args[1], Value::PlainString(text));
  }
  NotifyKeyspaceEvent(ctx, kNotifyString, "incrbyfloat", args[1]);
  ctx.rb->Bulk(text);
}

}  // namespace

std::vector<CommandSpec> StringNumberCommands() {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom | kCmdFast;
  const char* kAcl = "write string fast";
  return {
      Cmd("incr", 2, kW, 1, 1, 1, kAcl, CmdIncr),
      Cmd("decr", 2, kW, 1, 1, 1, kAcl, CmdDecr),
      Cmd("incrby", 3, kW, 1, 1, 1, kAcl, CmdIncrBy),
      Cmd("decrby", 3, kW, 1, 1, 1, kAcl, CmdDecrBy),
      Cmd("incrbyfloat", 3, kW, 1, 1, 1, kAcl, CmdIncrByFloat),
  };
}

}  // namespace kora
