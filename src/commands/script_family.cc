// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP.
// See docs/design/scripting.md; the running itself is in script_runner.cc.
#include "base/strutil.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/script_runner.h"
#include "scripting/sha1.h"

namespace kora {

std::string BlankFirstLine(std::string_view code) {
  if (code.substr(0, 2) != "#!") return std::string(code);
  size_t nl = code.find('\n');
  return nl == std::string_view::npos ? std::string() : std::string(code.substr(nl));
}

void ScriptGetKeys(CmdArgs args, std::vector<size_t>* keys) {
  keys->clear();
  int64_t n = 0;
  if (args.size() < 3 || !ParseInt64(args[2], &n) || n <= 0) return;
  for (int64_t i = 0; i < n && 3 + i < static_cast<int64_t>(args.size()); ++i) {
    keys->push_back(static_cast<size_t>(3 + i));
  }
}

namespace {

// Reads an EVAL body's shebang flags (Redis's evalExtractShebangFlags).
bool ParseShebang(std::string_view body, uint32_t* flags, std::string* err) {
  if (body.substr(0, 2) != "#!") {
    *flags = lua::kFlagEvalCompat;
    return true;
  }
  *flags = 0;
  size_t nl = body.find('\n');
  std::string_view line = body.substr(0, nl);
  std::vector<std::string_view> parts;
  size_t p = 0;
  while (p < line.size()) {
    while (p < line.size() && line[p] == ' ') ++p;
    size_t e = line.find(' ', p);
    if (e == std::string_view::npos) e = line.size();
    if (e > p) parts.push_back(line.substr(p, e - p));
    p = e;
  }
  if (parts.empty() || parts[0] != "#!lua") {
    *err = "ERR Unexpected engine in script shebang: " + std::string(parts.empty() ? line : parts[0]);
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 6) != "flags=") {
      *err = "ERR Unknown lua shebang option: " + std::string(parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    size_t q = 0;
    while (q <= list.size() && !list.empty()) {
      size_t c = list.find(',', q);
      if (c == std::string_view::npos) c = list.size();
      std::string_view f = list.substr(q, c - q);
      uint32_t bit = 0;
      if (!lua::ParseScriptFlag(f, &bit)) {
        *err = "ERR Unexpected flag in script shebang: " + std::string(f);
        return false;
      }
      *flags |= bit;
      q = c + 1;
      if (c == list.size()) break;
    }
  }
  return true;
}

// Compiles `body` on this worker; false after replying the compile error.
bool CompileHere(CmdCtx& ctx, const std::string& sha, std::string_view body, uint32_t* flags) {
  std::string err;
  if (!ParseShebang(body, flags, &err)) {
    ctx.rb->Error(err);
    return false;
  }
  lua::Vm& vm = GetScripting(*ctx.svc).EvalVm(ctx.worker->id());
  if (vm.FindScript(sha) == 0 && vm.CompileScript(sha, BlankFirstLine(body), &err) == 0) {
    ctx.rb->Error("ERR " + err);
    return false;
  }
  GetScripting(*ctx.svc).AddScript(sha, {std::string(body), *flags});
  GetScripting(*ctx.svc).NoteVmMemory(ctx.worker->id());
  return true;
}

// Parses numkeys and splits keys and args; false after replying the error.
bool ParseKeysArgs(CmdArgs args, CmdCtx& ctx, ScriptJob* job) {
  int64_t n = 0;
  if (!ParseInt64(args[2], &n)) {
    ctx.rb->Error(err::kNotInt);
    return false;
  }
  if (n > static_cast<int64_t>(args.size()) - 3) {
    ctx.rb->Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (n < 0) {
    ctx.rb->Error("ERR Number of keys can't be negative");
    return false;
  }
  for (int64_t i = 0; i < n; ++i) job->keys.emplace_back(args[3 + i]);
  for (size_t i = 3 + n; i < args.size(); ++i) job->args.emplace_back(args[i]);
  return true;
}

void EvalGeneric(CmdArgs args, CmdCtx& ctx, bool by_sha, bool ro) {
  auto job = std::make_unique<ScriptJob>();
  if (!ParseKeysArgs(args, ctx, job.get())) return;
  Scripting& sc = GetScripting(*ctx.svc);
  Scripting::Script s;
  if (by_sha) {
    job->name = ToLower(args[1]);
    if (job->name.size() != 40 || !sc.FindScript(job->name, &s)) {
      ctx.rb->Error("NOSCRIPT No matching script. Please use EVAL.");
      return;
    }
  } else {
    job->name = lua::Sha1Hex(args[1]);
    if (!sc.FindScript(job->name, &s)) {
      s.body.assign(args[1]);
      if (!CompileHere(ctx, job->name, s.body, &s.flags)) return;
    }
  }
  job->flags = s.flags;
  if (ScriptRefusedForOom(ctx, s.flags)) return;
  if (ro && !(s.flags & (lua::kFlagNoWrites | lua::kFlagEvalCompat))) {
    ctx.rb->Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  job->read_only = ro || (s.flags & lua::kFlagNoWrites);
  job->body = BlankFirstLine(s.body);
  job->command.assign(args.begin(), args.end());
  RunScriptJob(ctx, std::move(job));
}

void CmdEval(CmdArgs args, CmdCtx& ctx) { EvalGeneric(args, ctx, false, false); }
void CmdEvalRo(CmdArgs args, CmdCtx& ctx) { EvalGeneric(args, ctx, false, true); }
void CmdEvalSha(CmdArgs args, CmdCtx& ctx) { EvalGeneric(args, ctx, true, false); }
void CmdEvalShaRo(CmdArgs args, CmdCtx& ctx) { EvalGeneric(args, ctx, true, true); }

void CmdScriptLoad(CmdArgs args, CmdCtx& ctx) {
  std::string sha = lua::Sha1Hex(args[2]);
  uint32_t flags = 0;
  if (!GetScripting(*ctx.svc).HasScript(sha) && !CompileHere(ctx, sha, args[2], &flags)) return;
  ctx.rb->Bulk(sha);
}

void CmdScriptExists(CmdArgs args, CmdCtx& ctx) {
  Scripting& sc = GetScripting(*ctx.svc);
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 2));
  for (size_t i = 2; i < args.size(); ++i) ctx.rb->Integer(sc.HasScript(ToLower(args[i])) ? 1 : 0);
}

void CmdScriptFlush(CmdArgs args, CmdCtx& ctx) {
  if (args.size() > 3 ||
      (args.size() == 3 && !EqualsIgnoreCase(args[2], "sync") &&
       !EqualsIgnoreCase(args[2], "async"))) {
    ctx.rb->Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  GetScripting(*ctx.svc).FlushScripts();
  ctx.rb->Ok();
}

}  // namespace

// SCRIPT KILL and FUNCTION KILL (Redis's scriptKill).
void KillBusyScript(CmdCtx& ctx, bool eval) {
  Scripting& sc = GetScripting(*ctx.svc);
  for (int w = 0; w < sc.workers(); ++w) {
    RunSlot& slot = sc.slot(w);
    if (!slot.busy.load()) continue;
    if (slot.wrote.load()) {
      ctx.rb->Error(
          "UNKILLABLE Sorry the script already executed write commands against the dataset. "
          "You can either wait the script termination or kill the server in a hard way using "
          "the SHUTDOWN NOSAVE command.");
      return;
    }
    if (eval && slot.is_function.load()) {
      ctx.rb->Error("BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                    "SHUTDOWN NOSAVE.");
      return;
    }
    if (!eval && !slot.is_function.load()) {
      ctx.rb->Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                    "SHUTDOWN NOSAVE.");
      return;
    }
    slot.kill.store(true);
    ctx.rb->Ok();
    return;
  }
  ctx.rb->Error("NOTBUSY No scripts in execution right now.");
}

namespace {

void CmdScriptKill(CmdArgs, CmdCtx& ctx) { KillBusyScript(ctx, true); }

void CmdScriptHelp(CmdArgs, CmdCtx& ctx) {
  static const char* const kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->ArrayHeader(static_cast<int64_t>(std::size(kLines)));
  for (const char* l : kLines) ctx.rb->SimpleString(l);
}

CommandSpec EvalSpec(const char* name, uint32_t extra, CmdHandler h) {
  CommandSpec s = Cmd(name, -3,
                      kCmdConn | kCmdNoScript | kCmdStale | kCmdSkipMonitor | kCmdMayReplicate |
                          kCmdNoMandatoryKeys | extra,
                      0, 0, 0, "slow scripting", h);
  s.getkeys = ScriptGetKeys;
  return s;
}

}  // namespace

void RegisterScriptFamily(Service& svc) {
  if (!svc.scripting) svc.scripting = std::make_shared<Scripting>(svc.engine().size());
  const uint32_t k = kCmdConn | kCmdNoScript;
  CommandSpec script = Cmd("script", -2, kCmdConn, 0, 0, 0, "slow", nullptr);
  script.subcommands = {
      Cmd("script|exists", -3, k, 0, 0, 0, "slow scripting", CmdScriptExists),
      Cmd("script|flush", -2, k | kCmdMayReplicate, 0, 0, 0, "slow scripting", CmdScriptFlush),
      Cmd("script|help", 2, kCmdConn | kCmdLoading | kCmdStale, 0, 0, 0, "slow scripting",
          CmdScriptHelp),
      Cmd("script|kill", 2, k | kCmdAllowBusy, 0, 0, 0, "slow scripting", CmdScriptKill),
      Cmd("script|load", 3, k | kCmdMayReplicate | kCmdStale, 0, 0, 0, "slow scripting",
          CmdScriptLoad),
  };
  svc.Register({
      EvalSpec("eval", 0, CmdEval),
      EvalSpec("evalsha", 0, CmdEvalSha),
      EvalSpec("eval_ro", kCmdReadOnly, CmdEvalRo),
      EvalSpec("evalsha_ro", kCmdReadOnly, CmdEvalShaRo),
      std::move(script),
  });
}

}  // namespace kora
