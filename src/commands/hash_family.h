// Handlers of the hash family shared between its files (see hash_family.cc).
#pragma once

#include "commands/command.h"

namespace kora {

void CmdHRandField(CmdArgs args, CmdCtx& ctx);
void CmdHScan(CmdArgs args, CmdCtx& ctx);

}  // namespace kora
