// Connection commands: PING ECHO QUIT SELECT.
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "base/strutil.h"

namespace kora {
namespace {

void CmdPing(CmdArgs args, CmdCtx& ctx) {
  if (args.size() > 2) {
    ctx.rb->Error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (args.size() == 2) {
    ctx.rb->Bulk(args[1]);
  } else {
    ctx.rb->SimpleString("PONG");
  }
}

void CmdEcho(CmdArgs args, CmdCtx& ctx) { ctx.rb->Bulk(args[1]); }

void CmdQuit(CmdArgs, CmdCtx& ctx) {
  ctx.rb->Ok();
  ctx.conn->CloseAfterReply();
}

void CmdSelect(CmdArgs args, CmdCtx& ctx) {
  int64_t idx;
  if (!ParseInt64(args[1], &idx)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  if (idx < 0 || idx >= kNumDatabases) {
    ctx.rb->Error(err::kDbIndex);
    return;
  }
  ctx.conn->db_index = static_cast<int>(idx);
  ctx.rb->Ok();
}

}  // namespace

void RegisterConnectionFamily(Service& svc) {
  svc.Register({
      Cmd("ping", -1, kCmdFast | kCmdSentinel | kCmdConn, 0, 0, 0, "fast connection", CmdPing),
      Cmd("echo", 2, kCmdFast | kCmdConn, 0, 0, 0, "fast connection", CmdEcho),
      Cmd("quit", -1, kCmdAllowBusy | kCmdNoAuth | kCmdLoading | kCmdStale | kCmdFast | kCmdNoScript | kCmdConn,
          0, 0, 0, "fast connection", CmdQuit),
      Cmd("select", 2, kCmdLoading | kCmdStale | kCmdFast | kCmdConn, 0, 0, 0, "fast connection",
          CmdSelect),
  });
}

}  // namespace kora
