// Helpers shared by the list command files.
#pragma once

#include <string_view>

#include "commands/command.h"
#include "core/list_object.h"

namespace kora {

class Service;

// The list at `key`, or nullptr if missing; on a wrong type replies WRONGTYPE, sets *wrong.
ListObject* FindList(CmdCtx& ctx, std::string_view key, bool* wrong);
// Same, creating an empty list when missing (the caller must push before returning).
ListObject* FindOrCreateList(CmdCtx& ctx, std::string_view key, bool* wrong);
// Deletes the key when the list became empty (Redis never keeps empty lists).
void DeleteIfEmpty(CmdCtx& ctx, std::string_view key, ListObject* l);
// Called on the key's shard after elements were pushed to `key`: serves blocked clients.
void NotifyListPush(CmdCtx& ctx, std::string_view key);

void RegisterListMoveCommands(Service& svc);
void RegisterListBlockingCommands(Service& svc);

}  // namespace kora
