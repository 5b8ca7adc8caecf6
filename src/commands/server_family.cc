// Server commands: TIME LASTSAVE DEBUG SHUTDOWN, and the registration of the whole server
// family (CLIENT, CONFIG, COMMAND and INFO live in their own files).
#include "commands/server_family.h"

#include <time.h>

#include <cstdlib>

#include "base/logging.h"
#include "base/strutil.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/key_family.h"
#include "commands/service.h"

namespace kora {

void ReplyHelp(CmdCtx& ctx, std::string_view cmd, std::initializer_list<const char*> lines) {
  ReplyBuilder& rb = *ctx.rb;
  rb.ArrayHeader(static_cast<int64_t>(lines.size()) + 3);
  rb.SimpleString(ToUpper(cmd) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const char* l : lines) rb.SimpleString(l);
  rb.SimpleString("HELP");
  rb.SimpleString("    Prints this help.");
}

void ReplySubcommandSyntaxError(CmdCtx& ctx, CmdArgs args) {
  ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                std::string(args[1].substr(0, 128)) + "'. Try " + ToUpper(args[0]) + " HELP.");
}

namespace {

void CmdTime(CmdArgs, CmdCtx& ctx) {
  int64_t us = NowUnixUs();
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(Int64ToString(us / 1000000));
  ctx.rb->Bulk(Int64ToString(us % 1000000));
}

// No persistence yet: the last "save" is the start of the process, as for a fresh Redis.
void CmdLastSave(CmdArgs, CmdCtx& ctx) { ctx.rb->Integer(ctx.svc->start_time_ms() / 1000); }

// DEBUG PROTOCOL <type>: Redis's fixed test value of each reply type, as RESP2 or RESP3 writes
// it (client libraries test their parsers with it).
void DebugProtocol(std::string_view type, CmdCtx& ctx) {
  struct Form {
    const char* name;
    std::string_view resp2, resp3;  // resp2 empty: an error in RESP2
  };
  static constexpr Form kForms[] = {
      {"string", "$11\r\nHello World\r\n", "$11\r\nHello World\r\n"},
      {"integer", ":12345\r\n", ":12345\r\n"},
      {"double", "$5\r\n3.141\r\n", ",3.141\r\n"},
      {"bignum", "$37\r\n1234567999999999999999999999999999999\r\n",
       "(1234567999999999999999999999999999999\r\n"},
      {"null", "$-1\r\n", "_\r\n"},
      {"array", "*3\r\n:0\r\n:1\r\n:2\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n"},
      {"set", "*3\r\n:0\r\n:1\r\n:2\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n"},
      {"map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",  // i -> whether i is 1
       "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"},
      {"attrib", "$39\r\nSome real reply following the attribute\r\n",
       "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
       "$39\r\nSome real reply following the attribute\r\n"},
      {"push", "",
       ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
       "$40\r\nSome real reply following the push reply\r\n"},
      {"verbatim", "$25\r\nThis is a verbatim\nstring\r\n",
       "=29\r\ntxt:This is a verbatim\nstring\r\n"},
      {"true", ":1\r\n", "#t\r\n"},
      {"false", ":0\r\n", "#f\r\n"},
  };
  for (const Form& f : kForms) {
    if (!EqualsIgnoreCase(type, f.name)) continue;
    std::string_view out = ctx.conn->resp >= 3 ? f.resp3 : f.resp2;
    if (out.empty()) return ctx.rb->Error("ERR RESP2 is not supported by this command");
    return ctx.rb->Raw(out);
  }
  ctx.rb->Error(
      "ERR Wrong protocol type name. Please use one of the following: "
      "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
}

// DEBUG SLEEP blocks the calling worker only, as Redis blocks its one thread.
void CmdDebug(CmdArgs args, CmdCtx& ctx) {
  std::string_view sub = args[1];
  if (EqualsIgnoreCase(sub, "sleep") && args.size() == 3) {
    // strtod semantics, like Redis: garbage reads as 0.
    std::string s(args[2]);
    double secs = std::strtod(s.c_str(), nullptr);
    int64_t us = static_cast<int64_t>(secs * 1000000);
    if (us > 0) {
      timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>((us % 1000000) * 1000)};
      while (nanosleep(&ts, &ts) != 0) {
      }
    }
    ctx.rb->Ok();
  } else if (EqualsIgnoreCase(sub, "object") && args.size() == 3) {
    DebugObject(args[2], ctx);
  } else if (EqualsIgnoreCase(sub, "protocol") && args.size() == 3) {
    DebugProtocol(args[2], ctx);
  } else if (EqualsIgnoreCase(sub, "set-active-expire") && args.size() == 3) {
    // atoi semantics, like Redis: garbage reads as 0 (off).
    std::string s(args[2]);
    ctx.svc->engine().set_active_expire(std::atoi(s.c_str()) != 0);
    ctx.rb->Ok();
  } else if (EqualsIgnoreCase(sub, "log") && args.size() == 3) {
    KORA_LOG_WARN("DEBUG LOG: {}", args[2]);
    ctx.rb->Ok();
  } else if (EqualsIgnoreCase(sub, "error") && args.size() == 3) {
    ctx.rb->Error(args[2]);  // verbatim, without an error code of its own
  } else if (EqualsIgnoreCase(sub, "help") && args.size() == 2) {
    ReplyHelp(ctx, args[0],
              {"ERROR <string>",
               "    Return a Redis protocol error with <string> as message. Useful for clients",
               "    unit tests to simulate Redis errors.", "LOG <message>",
               "    Write <message> to the server log.",
               "OBJECT <key>",
               "    Show low level info about `key` and associated value.",
               "PROTOCOL <type>",
               "    Reply with a test value of the specified type. <type> can be: string,",
               "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
               "    true, false.",
               "SET-ACTIVE-EXPIRE <0|1>",
               "    Setting it to 0 disables expiring keys in background when they are not",
               "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
               "    default.",
               "SLEEP <seconds>",
               "    Stop the server for <seconds>. Decimals allowed."});
  } else {
    ReplySubcommandSyntaxError(ctx, args);
  }
}

void CmdShutdown(CmdArgs args, CmdCtx& ctx) {
  bool nosave = false, save = false, abort = false, other = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "nosave")) {
      nosave = true;
    } else if (EqualsIgnoreCase(args[i], "save")) {
      save = true;
    } else if (EqualsIgnoreCase(args[i], "now") || EqualsIgnoreCase(args[i], "force")) {
      other = true;
    } else if (EqualsIgnoreCase(args[i], "abort")) {
      abort = true;
    } else {
      ctx.rb->Error(err::kSyntax);
      return;
    }
  }
  if ((abort && (nosave || save || other)) || (nosave && save)) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  if (abort) {  // a shutdown never waits here (no replicas), so none is ever in progress
    ctx.rb->Error("ERR No shutdown in progress.");
    return;
  }
  if (!ctx.svc->on_shutdown) {
    ctx.rb->Error("ERR Errors trying to SHUTDOWN. Check logs.");
    return;
  }
  KORA_LOG_WARN("User requested shutdown...");
  ctx.svc->shutdown_requested().store(true);
  // Like Redis, no reply: the connection closes when the server stops.
  ctx.svc->on_shutdown();
}

}  // namespace

void RegisterWaitCommand(Service& svc);

void RegisterServerFamily(Service& svc) {
  // Flags, ACL categories and key specs come from the metadata table (command_meta_table.cc).
  svc.Register({
      Cmd("time", 1, kCmdConn, 0, 0, 0, "", CmdTime),
      Cmd("lastsave", 1, kCmdConn, 0, 0, 0, "", CmdLastSave),
      Cmd("debug", -2, kCmdConn, 0, 0, 0, "", CmdDebug),
      Cmd("shutdown", -1, kCmdConn, 0, 0, 0, "", CmdShutdown),
  });
  RegisterClientCommands(svc);
  RegisterConfigCommands(svc);
  RegisterCommandCommands(svc);
  RegisterInfoCommand(svc);
  RegisterWaitCommand(svc);
}

}  // namespace kora
