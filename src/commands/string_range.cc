// Byte-level string commands: APPEND STRLEN GETRANGE SUBSTR SETRANGE.
#include <cstring>

#include "commands/notify.h"
#include "commands/string_util.h"

namespace kora {
namespace {

void CmdAppend(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  if (e == nullptr) {
    db.Insert(args[1], Value::String(args[2]));
    NotifyKeyspaceEvent(ctx, kNotifyString, "append", args[1]);
    ctx.rb->Integer(static_cast<int64_t>(args[2].size()));
    return;
  }
  if (!e->value.is_string()) {
    ctx.rb->Error(err::kWrongType);
    return;
  }
  if (StringTooLong(ctx, StrLength(e->value), args[2].size())) return;
  std::string& s = e->value.MutableRaw();  // APPEND always leaves a raw string
  s.append(args[2]);
  NotifyKeyspaceEvent(ctx, kNotifyString, "append", args[1]);
  ctx.rb->Integer(static_cast<int64_t>(s.size()));
}

void CmdStrlen(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ctx.db().Find(args[1], ctx.now_ms);
  if (e == nullptr) {
    ++ctx.shard().stats().keyspace_misses;
    ctx.rb->Integer(0);
    return;
  }
  ++ctx.shard().stats().keyspace_hits;
  if (!e->value.is_string()) {
    ctx.rb->Error(err::kWrongType);
    return;
  }
  ctx.rb->Integer(static_cast<int64_t>(StrLength(e->value)));
}

// GETRANGE and SUBSTR (Redis's getrangeCommand).
void CmdGetRange(CmdArgs args, CmdCtx& ctx) {
  int64_t start, end;
  if (!ParseIntOrReply(args[2], &start, ctx.rb) || !ParseIntOrReply(args[3], &end, ctx.rb)) {
    return;
  }
  KeyEntry* e = ctx.db().Find(args[1], ctx.now_ms);
  if (e == nullptr) {
    ++ctx.shard().stats().keyspace_misses;
    ctx.rb->Bulk("");
    return;
  }
  ++ctx.shard().stats().keyspace_hits;
  if (!e->value.is_string()) {
    ctx.rb->Error(err::kWrongType);
    return;
  }
  IntDigits d;
  std::string_view s = StrBytes(e->value, &d);
  int64_t len = static_cast<int64_t>(s.size());
  if (start < 0 && end < 0 && start > end) {
    ctx.rb->Bulk("");
    return;
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    ctx.rb->Bulk("");
    return;
  }
  ctx.rb->Bulk(s.substr(start, end - start + 1));
}

void CmdSetRange(CmdArgs args, CmdCtx& ctx) {
  int64_t offset;
  if (!ParseIntOrReply(args[2], &offset, ctx.rb)) return;
  if (offset < 0) {
    ctx.rb->Error("ERR offset is out of range");
    return;
  }
  std::string_view value = args[3];
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  if (e == nullptr) {
    if (value.empty()) {
      ctx.rb->Integer(0);
      return;
    }
    if (StringTooLong(ctx, offset, value.size())) return;
    std::string s(offset + value.size(), '\0');
    std::memcpy(s.data() + offset, value.data(), value.size());
    int64_t n = static_cast<int64_t>(s.size());
    db.Insert(args[1], Value::RawString(std::move(s)));
    NotifyKeyspaceEvent(ctx, kNotifyString, "setrange", args[1]);
    ctx.rb->Integer(n);
    return;
  }
  if (!e->value.is_string()) {
    ctx.rb->Error(err::kWrongType);
    return;
  }
  if (value.empty()) {
    ctx.rb->Integer(static_cast<int64_t>(StrLength(e->value)));
    return;
  }
  if (StringTooLong(ctx, offset, value.size())) return;
  std::string& s = e->value.MutableRaw();
  size_t need = offset + value.size();
  if (s.size() < need) s.resize(need, '\0');
  std::memcpy(s.data() + offset, value.data(), value.size());
  NotifyKeyspaceEvent(ctx, kNotifyString, "setrange", args[1]);
  ctx.rb->Integer(static_cast<int64_t>(s.size()));
}

}  // namespace

std::vector<CommandSpec> StringRangeCommands() {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  return {
      Cmd("append", 3, kW | kCmdFast, 1, 1, 1, "write string fast", CmdAppend),
      Cmd("strlen", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, "read string fast", CmdStrlen),
      Cmd("getrange", 4, kCmdReadOnly, 1, 1, 1, "read string slow", CmdGetRange),
      Cmd("substr", 4, kCmdReadOnly, 1, 1, 1, "read string slow", CmdGetRange),
      Cmd("setrange", 4, kW, 1, 1, 1, "write string slow", CmdSetRange),
  };
}

}  // namespace kora
