// Connection commands: PING ECHO QUIT SELECT RESET AUTH HELLO.
#include "base/strutil.h"
#include "commands/client_family.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/pubsub_hub.h"
#include "commands/server_family.h"
#include "commands/service.h"
#include "commands/tracking_family.h"

namespace kora {
namespace {

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
constexpr std::string_view kNoAuthHello =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time";

void CmdPing(CmdArgs args, CmdCtx& ctx) {
  if (args.size() > 2) {
    ctx.rb->Error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  const ConnContext& c = *ctx.conn;
  if (c.resp == 2 && c.subscriptions + c.psubscriptions + c.ssubscriptions > 0) {
    ctx.rb->ArrayHeader(2);  // RESP2 subscribed mode answers as a message
    ctx.rb->Bulk("pong");
    ctx.rb->Bulk(args.size() == 2 ? args[1] : std::string_view());
  } else if (args.size() == 2) {
    ctx.rb->Bulk(args[1]);
  } else {
    ctx.rb->SimpleString("PONG");
  }
}

void CmdEcho(CmdArgs args, CmdCtx& ctx) { ctx.rb->Bulk(args[1]); }

void CmdQuit(CmdArgs, CmdCtx& ctx) {
  ConnContext& c = *ctx.conn;
  // Leave every channel now, as Redis frees the client right after this reply: a PUBSUB
  // NUMSUB that another client sends after seeing +OK must not count this one.
  if (c.subscriptions + c.psubscriptions + c.ssubscriptions > 0) ctx.svc->pubsub().RemoveAll(&c);
  ctx.rb->Ok();
  c.CloseAfterReply();
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

// RESET: back to the state of a fresh connection (Redis's clearClientConnectionState).
void CmdReset(CmdArgs, CmdCtx& ctx) {
  ConnContext& c = *ctx.conn;
  c.db_index = 0;
  c.resp = 2;
  c.multi_queued = -1;
  c.multi_error = false;
  c.multi_cmds.clear();
  c.watched.clear();
  c.name.clear();
  c.reply_off = c.reply_skip = c.reply_skip_next = false;
  c.no_evict = false;
  c.authenticated = !ctx.svc->RequiresAuth();
  if (c.subscriptions + c.psubscriptions + c.ssubscriptions > 0) ctx.svc->pubsub().RemoveAll(&c);
  TrackingOnClose(*ctx.svc, c);
  ctx.rb->set_resp(2);
  ctx.rb->SimpleString("RESET");
}

void CmdAuth(CmdArgs args, CmdCtx& ctx) {
  if (args.size() > 3) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  std::string_view user = "default", pass;
  if (args.size() == 2) {
    if (!ctx.svc->RequiresAuth()) {
      ctx.rb->Error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
      return;
    }
    pass = args[1];
  } else {
    user = args[1];
    pass = args[2];
  }
  if (ctx.svc->CheckPassword(user, pass)) {
    ctx.conn->authenticated = true;
    ctx.rb->Ok();
  } else {
    ctx.rb->Error(kWrongPass);
  }
}

void CmdHello(CmdArgs args, CmdCtx& ctx) {
  ConnContext& c = *ctx.conn;
  int64_t ver = 0;
  size_t next = 1;
  if (args.size() >= 2) {
    if (!ParseInt64(args[next++], &ver)) {
      ctx.rb->Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (ver < 2 || ver > 3) {
      ctx.rb->Error("NOPROTO unsupported protocol version");
      return;
    }
  }
  const std::string_view* user = nullptr;
  const std::string_view* pass = nullptr;
  const std::string_view* name = nullptr;
  for (size_t j = next; j < args.size(); ++j) {
    size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "auth") && more >= 2) {
      user = &args[j + 1];
      pass = &args[j + 2];
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "setname") && more >= 1) {
      name = &args[j + 1];
      ++j;
    } else {
      ctx.rb->Error("ERR Syntax error in HELLO option '" + std::string(args[j]) + "'");
      return;
    }
  }
  if (user != nullptr) {
    if (!ctx.svc->CheckPassword(*user, *pass)) {
      ctx.rb->Error(kWrongPass);
      return;
    }
    c.authenticated = true;
  }
  if (!c.authenticated) {
    ctx.rb->Error(kNoAuthHello);
    return;
  }
  if (name != nullptr) {
    if (!ValidClientName(*name)) {
      ctx.rb->Error(kBadClientName);
      return;
    }
    c.name = std::string(*name);
  }
  if (ver != 0) c.resp = static_cast<int>(ver);
  ReplyBuilder& rb = *ctx.rb;
  rb.set_resp(c.resp);  // the reply itself already uses the new protocol
  rb.MapHeader(7);
  rb.Bulk("server");
  rb.Bulk("redis");
  rb.Bulk("version");
  rb.Bulk(kRedisVersion);
  rb.Bulk("proto");
  rb.Integer(c.resp);
  rb.Bulk("id");
  rb.Integer(static_cast<int64_t>(c.id));
  rb.Bulk("mode");
  rb.Bulk("standalone");
  rb.Bulk("role");
  rb.Bulk("master");
  rb.Bulk("modules");
  rb.ArrayHeader(0);
}

}  // namespace

void RegisterConnectionFamily(Service& svc) {
  // Flags, ACL categories and key specs come from the metadata table (command_meta_table.cc).
  svc.Register({
      Cmd("ping", -1, kCmdConn, 0, 0, 0, "", CmdPing),
      Cmd("echo", 2, kCmdConn, 0, 0, 0, "", CmdEcho),
      Cmd("quit", -1, kCmdConn | kCmdTxControl, 0, 0, 0, "", CmdQuit),
      Cmd("select", 2, kCmdConn, 0, 0, 0, "", CmdSelect),
      Cmd("reset", 1, kCmdConn | kCmdTxControl, 0, 0, 0, "", CmdReset),
      Cmd("auth", -2, kCmdConn, 0, 0, 0, "", CmdAuth),
      Cmd("hello", -1, kCmdConn, 0, 0, 0, "", CmdHello),
  });
}

}  // namespace kora
