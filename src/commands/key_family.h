// The key family's parts (key_*.cc), registered together by RegisterKeyFamily().
//
//   key_family.cc  DEL UNLINK EXISTS TOUCH TYPE OBJECT, and the registration
//   key_expire.cc  EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST
//   key_rename.cc  RENAME RENAMENX COPY MOVE (cross-shard forms are two/three-phase hops)
//   key_space.cc   KEYS SCAN RANDOMKEY DBSIZE FLUSHDB FLUSHALL SWAPDB (every shard)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "core/value.h"

namespace kora {

std::vector<CommandSpec> KeyExpireCommands();
std::vector<CommandSpec> KeyRenameCommands();
std::vector<CommandSpec> KeySpaceCommands();

// DEBUG OBJECT <key> (run from DEBUG, on any worker): hops to the key's shard and replies
// Redis's one-line description, or "ERR no such key".
void DebugObject(std::string_view key, CmdCtx& ctx);

// Redis's type name (TYPE, SCAN TYPE): string list set zset hash stream.
const char* TypeName(ValueType t);

// Redis's getIntFromObjectOrReply: parses an int argument; returns "" or the error text
// (`msg`, when given, replaces both default texts).
std::string ParseIntArg(std::string_view s, int* out, const char* msg = nullptr);

}  // namespace kora
