// Internals of the server and connection families, shared by their files.
#pragma once

#include <initializer_list>
#include <string_view>

#include "commands/command.h"

namespace kora {

// The Redis version Kora reports (HELLO, INFO): clients sniff it to pick features.
inline constexpr std::string_view kRedisVersion = "7.0.15";

// Redis's addReplyHelp: "<CMD> <subcommand> ... Subcommands are:", the lines, then HELP.
void ReplyHelp(CmdCtx& ctx, std::string_view cmd, std::initializer_list<const char*> lines);

// Redis's addReplySubcommandSyntaxError, for a subcommand given the wrong arguments.
void ReplySubcommandSyntaxError(CmdCtx& ctx, CmdArgs args);

// Registration of the parts of the server family (one file each).
void RegisterClientCommands(Service& svc);   // client_family.cc
void RegisterConfigCommands(Service& svc);   // server_config.cc
void RegisterCommandCommands(Service& svc);  // server_command.cc
void RegisterInfoCommand(Service& svc);      // info_family.cc

}  // namespace kora
