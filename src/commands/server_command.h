// Shared by the COMMAND subcommands (server_command.cc, server_getkeys.cc).
#pragma once

#include <string_view>

#include "commands/command.h"

namespace kora {

// Redis's lookupCommand: argv[0] and, for a container, argv[1] as its subcommand.
const CommandSpec* LookupCommand(const Service& svc, CmdArgs argv);
// A subcommand of `container` by its short name (any case).
const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view sub);
// "get" or "client|list" (any case).
const CommandSpec* LookupCommandByFullName(const Service& svc, std::string_view name);
// A set of key-spec flag words ("RW access update") as status strings.
void ReplyKeySpecFlags(ReplyBuilder& rb, std::string_view flags);

void CmdCommandGetKeys(CmdArgs args, CmdCtx& ctx);
void CmdCommandGetKeysAndFlags(CmdArgs args, CmdCtx& ctx);

}  // namespace kora
