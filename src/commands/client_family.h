// CLIENT command helpers shared with the connection family (HELLO SETNAME).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/conn_context.h"

namespace kora {

class Service;

inline constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

// Redis's validateClientName: printable ASCII without spaces ('!'..'~'); empty is allowed.
bool ValidClientName(std::string_view name);

// Redis's client types (CLIENT LIST TYPE / CLIENT KILL TYPE).
enum class ClientType { kNormal, kReplica, kPubSub, kMaster };
// false for an unknown type name.
bool ParseClientType(std::string_view name, ClientType* type);
ClientType TypeOf(const ConnContext& c);

// One CLIENT LIST / CLIENT INFO line (without the trailing newline), Redis 7.0's fields plus
// Redis 7.2's lib-name and lib-ver. `argv_mem` is the size of the arguments being executed;
// `own_slots` reply slots (the caller's own pending reply) are not counted in oll.
std::string ClientInfoLine(const ConnContext& c, int64_t now_ms, size_t argv_mem,
                           size_t own_slots = 0);

// CLIENT LIST and CLIENT KILL (client_list.cc); they visit the clients of every worker.
void CmdClientList(CmdArgs args, CmdCtx& ctx);
void CmdClientKill(CmdArgs args, CmdCtx& ctx);

}  // namespace kora
