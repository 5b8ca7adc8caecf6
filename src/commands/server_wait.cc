// WAIT numreplicas timeout. Kora has no replicas yet, so zero replicas ever acknowledge: as in
// Redis, WAIT 0 answers at once, and a positive count waits for the timeout (0 = forever) and
// answers 0. The wait uses the blocking-client machinery (CLIENT UNBLOCK, disconnects).
#include "base/strutil.h"
#include "commands/blocking.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"

namespace kora {
namespace {

void CmdWait(CmdArgs args, CmdCtx& ctx) {
  int64_t replicas, timeout;
  if (!ParseInt64(args[1], &replicas)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  if (!ParseInt64(args[2], &timeout)) {
    ctx.rb->Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ctx.rb->Error("ERR timeout is negative");
    return;
  }
  if (replicas <= 0) {
    ctx.rb->Integer(0);
    return;
  }
  auto* t = new BlockTicket;
  t->timeout_reply = BlockTicket::kZero;
  t->deadline_ms = timeout == 0 ? 0 : ctx.now_ms + timeout;
  BlockClient(ctx, t);
}

}  // namespace

void RegisterWaitCommand(Service& svc) {
  svc.Register({Cmd("wait", 3, kCmdConn | kCmdNoScript, 0, 0, 0, "slow connection", CmdWait)});
}

}  // namespace kora
