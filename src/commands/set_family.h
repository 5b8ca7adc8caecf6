// Handlers of the set family shared between its files (see set_family.cc). The Multi* forms are
// the coordinators used when the keys live on several shards.
#pragma once

#include <vector>

#include "commands/command.h"

namespace kora {

// set_algebra.cc
void CmdSUnion(CmdArgs args, CmdCtx& ctx);
void CmdSInter(CmdArgs args, CmdCtx& ctx);
void CmdSDiff(CmdArgs args, CmdCtx& ctx);
void CmdSUnionStore(CmdArgs args, CmdCtx& ctx);
void CmdSInterStore(CmdArgs args, CmdCtx& ctx);
void CmdSDiffStore(CmdArgs args, CmdCtx& ctx);
void CmdSInterCard(CmdArgs args, CmdCtx& ctx);
void MultiSUnion(CmdArgs args, CmdCtx& ctx);
void MultiSInter(CmdArgs args, CmdCtx& ctx);
void MultiSDiff(CmdArgs args, CmdCtx& ctx);
void MultiSUnionStore(CmdArgs args, CmdCtx& ctx);
void MultiSInterStore(CmdArgs args, CmdCtx& ctx);
void MultiSDiffStore(CmdArgs args, CmdCtx& ctx);
void MultiSInterCard(CmdArgs args, CmdCtx& ctx);
// SINTERCARD numkeys key [key ...]: the key positions (none when numkeys is invalid).
void SInterCardKeys(CmdArgs args, std::vector<size_t>* keys);

// set_move.cc
void CmdSMove(CmdArgs args, CmdCtx& ctx);
void MultiSMove(CmdArgs args, CmdCtx& ctx);

}  // namespace kora
