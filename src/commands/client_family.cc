// CLIENT: ID INFO LIST KILL GETNAME SETNAME SETINFO NO-EVICT REPLY PAUSE UNPAUSE UNBLOCK HELP.
#include "commands/client_family.h"

#include "base/strutil.h"
#include "commands/blocking.h"
#include "commands/family_util.h"
#include "commands/server_family.h"
#include "commands/service.h"
#include "commands/tracking_family.h"

namespace kora {
namespace {

void CmdClientId(CmdArgs, CmdCtx& ctx) { ctx.rb->Integer(static_cast<int64_t>(ctx.conn->id)); }

void CmdClientInfo(CmdArgs args, CmdCtx& ctx) {
  size_t argv_mem = 0;
  for (auto a : args) argv_mem += a.size();
  ctx.rb->Verbatim(ClientInfoLine(*ctx.conn, NowUnixMs(), argv_mem) + "\n");
}

void CmdClientGetName(CmdArgs, CmdCtx& ctx) {
  if (ctx.conn->name.empty()) {
    ctx.rb->Null();
  } else {
    ctx.rb->Bulk(ctx.conn->name);
  }
}

void CmdClientSetName(CmdArgs args, CmdCtx& ctx) {
  if (!ValidClientName(args[2])) {
    ctx.rb->Error(kBadClientName);
    return;
  }
  ctx.conn->name = std::string(args[2]);
  ctx.rb->Ok();
}

// Redis 7.2's CLIENT SETINFO LIB-NAME|LIB-VER value.
void CmdClientSetInfo(CmdArgs args, CmdCtx& ctx) {
  std::string* dest;
  if (EqualsIgnoreCase(args[2], "lib-name")) {
    dest = &ctx.conn->lib_name;
  } else if (EqualsIgnoreCase(args[2], "lib-ver")) {
    dest = &ctx.conn->lib_ver;
  } else {
    ctx.rb->Error("ERR Unrecognized option '" + std::string(args[2]) + "'");
    return;
  }
  if (!ValidClientName(args[3])) {
    ctx.rb->Error("ERR " + std::string(args[2]) +
                  " cannot contain spaces, newlines or special characters.");
    return;
  }
  *dest = std::string(args[3]);
  ctx.rb->Ok();
}

void CmdClientNoEvict(CmdArgs args, CmdCtx& ctx) {
  if (EqualsIgnoreCase(args[2], "on")) {
    ctx.conn->no_evict = true;
  } else if (EqualsIgnoreCase(args[2], "off")) {
    ctx.conn->no_evict = false;
  } else {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  ctx.rb->Ok();
}

void CmdClientReply(CmdArgs args, CmdCtx& ctx) {
  ConnContext& c = *ctx.conn;
  if (EqualsIgnoreCase(args[2], "on")) {
    c.reply_off = c.reply_skip = false;
    c.Reply().Ok();  // a fresh builder: the one this command started with was muted
  } else if (EqualsIgnoreCase(args[2], "off")) {
    c.reply_off = true;
  } else if (EqualsIgnoreCase(args[2], "skip")) {
    if (!c.reply_off) c.reply_skip_next = true;
  } else {
    ctx.rb->Error(err::kSyntax);
  }
}

void CmdClientPause(CmdArgs args, CmdCtx& ctx) {
  if (args.size() > 4) {
    ReplySubcommandSyntaxError(ctx, args);
    return;
  }
  PauseMode mode = PauseMode::kAll;
  if (args.size() == 4) {
    if (EqualsIgnoreCase(args[3], "write")) {
      mode = PauseMode::kWrite;
    } else if (!EqualsIgnoreCase(args[3], "all")) {
      ctx.rb->Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  int64_t ms;
  if (!ParseInt64(args[2], &ms)) {
    ctx.rb->Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (ms < 0) {
    ctx.rb->Error("ERR timeout is negative");
    return;
  }
  int64_t end = 0;
  if (ms > 0) {
    int64_t now = NowUnixMs();
    if (ms > INT64_MAX - now) {
      ctx.rb->Error("ERR timeout is out of range");
      return;
    }
    end = now + ms;
  }
  ctx.svc->Pause(end, mode);
  ctx.rb->Ok();
}

void CmdClientUnpause(CmdArgs, CmdCtx& ctx) {
  ctx.svc->Unpause();
  ctx.rb->Ok();
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: the blocked client may be served by any worker, so every
// worker looks among its own blocked clients (UnblockClient).
void CmdClientUnblock(CmdArgs args, CmdCtx& ctx) {
  if (args.size() > 4) {
    ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(args[1]) + "'. Try CLIENT HELP.");
    return;
  }
  bool with_error = false;
  if (args.size() == 4) {
    if (EqualsIgnoreCase(args[3], "error")) {
      with_error = true;
    } else if (!EqualsIgnoreCase(args[3], "timeout")) {
      ctx.rb->Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  int64_t id;
  if (!ParseInt64(args[2], &id)) {
    ctx.rb->Error(err::kNotInt);
    return;
  }
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<int64_t>(
      ctx, ctx.svc->AllShards(),
      [id, with_error](CmdCtx& c) -> int64_t {
        return UnblockClient(c.svc, static_cast<uint64_t>(id), with_error) ? 1 : 0;
      },
      [pending](std::vector<int64_t>& hits) {
        int64_t n = 0;
        for (int64_t h : hits) n += h;
        pending->Finish([n](ReplyBuilder& rb) { rb.Integer(n > 0 ? 1 : 0); });
      });
}

void CmdClientHelp(CmdArgs args, CmdCtx& ctx) {
  ReplyHelp(ctx, args[0],
            {"GETNAME",
             "    Return the name of the current connection.",
             "ID",
             "    Return the ID of the current connection.",
             "INFO",
             "    Return information about the current client connection.",
             "KILL <ip:port>",
             "    Kill connection made from <ip:port>.",
             "KILL <option> <value> [<option> <value> [...]]",
             "    Kill connections. Options are:",
             "    * ADDR (<ip:port>|<unixsocket>:0)",
             "      Kill connections made from the specified address",
             "    * LADDR (<ip:port>|<unixsocket>:0)",
             "      Kill connections made to specified local address",
             "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
             "      Kill connections by type.",
             "    * USER <username>",
             "      Kill connections authenticated by <username>.",
             "    * SKIPME (YES|NO)",
             "      Skip killing current connection (default: yes).",
             "LIST [options ...]",
             "    Return information about client connections. Options:",
             "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
             "      Return clients of specified type.",
             "UNPAUSE",
             "    Stop the current client pause, resuming traffic.",
             "PAUSE <timeout> [WRITE|ALL]",
             "    Suspend all, or just write, clients for <timeout> milliseconds.",
             "REPLY (ON|OFF|SKIP)",
             "    Control the replies sent to the current connection.",
             "SETNAME <name>",
             "    Assign the name <name> to the current connection.",
             "UNBLOCK <clientid> [TIMEOUT|ERROR]",
             "    Unblock the specified blocked client.",
             "SETINFO <option> <value>",
             "    Set client meta attr. Options are:",
             "    * LIB-NAME: the client lib name.",
             "    * LIB-VER: the client lib version.",
             "NO-EVICT (ON|OFF)",
             "    Protect current client connection from eviction."});
}

CommandSpec Sub(const char* name, int arity, CmdHandler h) {
  return Cmd(name, arity, kCmdConn, 0, 0, 0, "", h);
}

}  // namespace

void RegisterClientCommands(Service& svc) {
  CommandSpec client = Cmd("client", -2, kCmdConn, 0, 0, 0, "", nullptr);
  client.subcommands = {
      Sub("client|id", 2, CmdClientId),           Sub("client|info", 2, CmdClientInfo),
      Sub("client|list", -2, CmdClientList),      Sub("client|kill", -3, CmdClientKill),
      Sub("client|getname", 2, CmdClientGetName), Sub("client|setname", 3, CmdClientSetName),
      Sub("client|setinfo", 4, CmdClientSetInfo), Sub("client|no-evict", 3, CmdClientNoEvict),
      Sub("client|reply", 3, CmdClientReply),     Sub("client|pause", -3, CmdClientPause),
      Sub("client|unpause", 2, CmdClientUnpause), Sub("client|help", 2, CmdClientHelp),
      Sub("client|unblock", -3, CmdClientUnblock),
      Sub("client|tracking", -3, CmdClientTracking), Sub("client|caching", 3, CmdClientCaching),
      Sub("client|getredir", 2, CmdClientGetRedir),
      Sub("client|trackinginfo", 2, CmdClientTrackingInfo),
  };
  svc.Register({std::move(client)});
}

}  // namespace kora
