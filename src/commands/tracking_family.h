// CLIENT TRACKING and its companions (commands/tracking_family.cc), and the hooks other code
// calls: FLUSHALL/FLUSHDB and connection close.
#pragma once

#include "commands/command.h"

namespace kora {

class ConnContext;

void CmdClientTracking(CmdArgs args, CmdCtx& ctx);
void CmdClientCaching(CmdArgs args, CmdCtx& ctx);
void CmdClientGetRedir(CmdArgs args, CmdCtx& ctx);
void CmdClientTrackingInfo(CmdArgs args, CmdCtx& ctx);

// FLUSHALL / FLUSHDB (a kCmdConn command on the flusher's worker): null invalidations.
void TrackingOnFlush(CmdCtx& ctx);
// A closing connection (on its home worker) stops tracking.
void TrackingOnClose(Service& svc, ConnContext& c);

}  // namespace kora
