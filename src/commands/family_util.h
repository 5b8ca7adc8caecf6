// Shared helpers for command families: Redis's error texts and a compact spec builder.
#pragma once

#include <string>
#include <string_view>

#include "commands/command.h"
#include "core/db_table.h"

namespace kora {

namespace err {
inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInt = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndex = "ERR DB index is out of range";
inline constexpr std::string_view kIndexRange = "ERR index out of range";
}  // namespace err

// Builds a CommandSpec row. `acl` lists categories without '@'.
inline CommandSpec Cmd(std::string name, int arity, uint32_t flags, int first, int last, int step,
                       std::string acl, CmdHandler handler, CmdHandler multi = nullptr) {
  CommandSpec s;
  s.name = std::move(name);
  s.arity = arity;
  s.flags = flags;
  s.first_key = first;
  s.last_key = last;
  s.step = step;
  s.acl = std::move(acl);
  s.handler = handler;
  s.multi = multi;
  return s;
}

// Looks up a live key and checks its type. Returns nullptr (and replies WRONGTYPE, setting
// *wrong_type) when the key holds another type; nullptr without reply when missing.
inline KeyEntry* FindTyped(CmdCtx& ctx, std::string_view key, ValueType type, bool* wrong_type) {
  *wrong_type = false;
  KeyEntry* e = ctx.db().Find(key, ctx.now_ms);
  if (e && e->value.type() != type) {
    *wrong_type = true;
    ctx.rb->Error(err::kWrongType);
    return nullptr;
  }
  return e;
}

}  // namespace kora
