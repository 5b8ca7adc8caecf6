// FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/KILL/HELP and FCALL, FCALL_RO (Redis 7 functions).
// Libraries live in Scripting (shared); each worker's function VM loads them on first use
// after a change. See docs/design/scripting.md.
#include <cctype>

#include "base/glob.h"
#include "base/strutil.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/script_runner.h"

namespace kora {
namespace {

bool ValidLibName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

// Parses "#!lua name=<lib>\n..." (Redis's functionExtractLibMetaData).
bool ParseLibMeta(std::string_view code, std::string* name, std::string* err) {
  if (code.substr(0, 2) != "#!") {
    *err = "ERR Missing library metadata";
    return false;
  }
  size_t nl = code.find('\n');
  if (nl == std::string_view::npos) {
    *err = "ERR Invalid library metadata";
    return false;
  }
  std::vector<std::string> parts;
  std::string_view line = code.substr(0, nl);
  for (size_t p = 0; p < line.size();) {
    while (p < line.size() && std::isspace(static_cast<unsigned char>(line[p]))) ++p;
    size_t e = p;
    while (e < line.size() && !std::isspace(static_cast<unsigned char>(line[e]))) ++e;
    if (e > p) parts.emplace_back(line.substr(p, e - p));
    p = e;
  }
  if (parts.empty()) {
    *err = "ERR Invalid library metadata";
    return false;
  }
  std::string engine = parts[0].substr(2);
  bool have_name = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() >= 5 && EqualsIgnoreCase(std::string_view(parts[i]).substr(0, 5), "name=")) {
      if (have_name) {
        *err = "ERR Invalid metadata value, name argument was given multiple times";
        return false;
      }
      *name = parts[i].substr(5);
      have_name = true;
      continue;
    }
    *err = "ERR Invalid metadata value given: " + parts[i];
    return false;
  }
  if (!have_name) {
    *err = "ERR Library name was not given";
    return false;
  }
  if (!EqualsIgnoreCase(engine, "lua")) {
    *err = "ERR Engine '" + engine + "' not found";
    return false;
  }
  if (!ValidLibName(*name)) {
    *err = "ERR Library names can only contain letters, numbers, or underscores(_) and must be "
           "at least one character long";
    return false;
  }
  return true;
}

}  // namespace

bool CompileLibrary(std::string_view code, LibraryInfo* out, std::string* err) {
  if (!ParseLibMeta(code, &out->name, err)) return false;
  lua::Vm vm(lua::Vm::Kind::kFunction);
  std::vector<lua::FunctionDef> defs;
  std::string lerr;
  if (!vm.LoadLibrary(BlankFirstLine(code), &defs, &lerr)) {
    *err = "ERR " + lerr;
    return false;
  }
  out->code.assign(code);
  out->functions.clear();
  for (const auto& d : defs) {
    out->functions.push_back({d.name, out->name, d.description, d.has_description, d.flags});
  }
  return true;
}

bool InstallLibraries(Scripting& sc, std::vector<LibraryInfo> libs, bool replace,
                      std::string* err) {
  auto& cur = sc.libraries();
  auto& fns = sc.functions();
  for (const auto& lib : libs) {
    if (cur.contains(lib.name) && !replace) {
      *err = "ERR Library '" + lib.name + "' already exists";
      return false;
    }
  }
  absl::flat_hash_set<std::string> fresh;
  for (const auto& lib : libs) {
    for (const auto& f : lib.functions) {
      auto it = fns.find(f.name);
      if ((it != fns.end() && it->second.library != lib.name) || !fresh.insert(f.name).second) {
        *err = "ERR Function " + f.name + " already exists";
        return false;
      }
    }
  }
  for (auto& lib : libs) {
    auto old = cur.find(lib.name);
    if (old != cur.end()) {
      for (const auto& f : old->second.functions) fns.erase(f.name);
    }
    for (const auto& f : lib.functions) fns[f.name] = f;
    std::string name = lib.name;
    cur[name] = std::move(lib);
  }
  sc.BumpFunctions();
  return true;
}

namespace {

void CmdFunctionLoad(CmdArgs args, CmdCtx& ctx) {
  bool replace = false;
  size_t pos = 2;
  while (pos < args.size() - 1) {
    std::string_view a = args[pos++];
    if (EqualsIgnoreCase(a, "replace")) {
      replace = true;
      continue;
    }
    ctx.rb->Error("ERR Unknown option given: " + std::string(a));
    return;
  }
  if (pos >= args.size()) {
    ctx.rb->Error("ERR Function code is missing");
    return;
  }
  Scripting& sc = GetScripting(*ctx.svc);
  std::string err;
  std::vector<LibraryInfo> libs(1);
  std::lock_guard<std::mutex> lk(sc.fn_mu());
  // Redis checks the name before compiling: an existing library fails without running code.
  if (!ParseLibMeta(args[pos], &libs[0].name, &err)) {
    ctx.rb->Error(err);
    return;
  }
  if (!replace && sc.libraries().contains(libs[0].name)) {
    ctx.rb->Error("ERR Library '" + libs[0].name + "' already exists");
    return;
  }
  if (!CompileLibrary(args[pos], &libs[0], &err) ||
      !InstallLibraries(sc, libs, replace, &err)) {
    ctx.rb->Error(err);
    return;
  }
  ctx.rb->Bulk(libs[0].name);
}

void CmdFunctionDelete(CmdArgs args, CmdCtx& ctx) {
  Scripting& sc = GetScripting(*ctx.svc);
  std::lock_guard<std::mutex> lk(sc.fn_mu());
  auto it = sc.libraries().find(std::string(args[2]));
  if (it == sc.libraries().end()) {
    ctx.rb->Error("ERR Library not found");
    return;
  }
  for (const auto& f : it->second.functions) sc.functions().erase(f.name);
  sc.libraries().erase(it);
  sc.BumpFunctions();
  ctx.rb->Ok();
}

void CmdFunctionFlush(CmdArgs args, CmdCtx& ctx) {
  if (args.size() == 3 && !EqualsIgnoreCase(args[2], "sync") &&
      !EqualsIgnoreCase(args[2], "async")) {
    ctx.rb->Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  if (args.size() > 3) {
    ctx.rb->Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  Scripting& sc = GetScripting(*ctx.svc);
  std::lock_guard<std::mutex> lk(sc.fn_mu());
  sc.libraries().clear();
  sc.functions().clear();
  sc.BumpFunctions();
  ctx.rb->Ok();
}

void WriteFlags(ReplyBuilder* rb, uint32_t flags) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {lua::kFlagNoWrites, "no-writes"},
      {lua::kFlagAllowOom, "allow-oom"},
      {lua::kFlagAllowStale, "allow-stale"},
      {lua::kFlagNoCluster, "no-cluster"},
      {lua::kFlagAllowCrossSlot, "allow-cross-slot-keys"}};
  int n = 0;
  for (const auto& [bit, name] : kNames) n += (flags & bit) ? 1 : 0;
  rb->SetHeader(n);
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) rb->SimpleString(name);
  }
}

void CmdFunctionList(CmdArgs args, CmdCtx& ctx) {
  bool with_code = false;
  std::string pattern;
  bool have_pattern = false;
  for (size_t i = 2; i < args.size(); ++i) {
    if (!with_code && EqualsIgnoreCase(args[i], "withcode")) {
      with_code = true;
      continue;
    }
    if (!have_pattern && EqualsIgnoreCase(args[i], "libraryname")) {
      if (i >= args.size() - 1) {
        ctx.rb->Error("ERR library name argument was not given");
        return;
      }
      pattern.assign(args[++i]);
      have_pattern = true;
      continue;
    }
    ctx.rb->Error("ERR Unknown argument " + std::string(args[i]));
    return;
  }
  Scripting& sc = GetScripting(*ctx.svc);
  std::lock_guard<std::mutex> lk(sc.fn_mu());
  std::vector<const LibraryInfo*> libs;
  for (const auto& [name, lib] : sc.libraries()) {
    if (have_pattern && !GlobMatch(pattern, name, /*nocase=*/true)) continue;
    libs.push_back(&lib);
  }
  ReplyBuilder& rb = *ctx.rb;
  rb.ArrayHeader(static_cast<int64_t>(libs.size()));
  for (const LibraryInfo* lib : libs) {
    rb.MapHeader(with_code ? 4 : 3);
    rb.Bulk("library_name");
    rb.Bulk(lib->name);
    rb.Bulk("engine");
    rb.Bulk("LUA");
    rb.Bulk("functions");
    rb.ArrayHeader(static_cast<int64_t>(lib->functions.size()));
    for (const auto& f : lib->functions) {
      rb.MapHeader(3);
      rb.Bulk("name");
      rb.Bulk(f.name);
      rb.Bulk("description");
      if (f.has_description) {
        rb.Bulk(f.description);
      } else {
        rb.Null();
      }
      rb.Bulk("flags");
      WriteFlags(&rb, f.flags);
    }
    if (with_code) {
      rb.Bulk("library_code");
      rb.Bulk(lib->code);
    }
  }
}

void CmdFunctionStats(CmdArgs, CmdCtx& ctx) {
  Scripting& sc = GetScripting(*ctx.svc);
  for (int w = 0; w < sc.workers(); ++w) {
    if (sc.slot(w).busy.load() && !sc.slot(w).is_function.load()) {
      ctx.rb->Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                    "SHUTDOWN NOSAVE.");
      return;
    }
  }
  ReplyBuilder& rb = *ctx.rb;
  rb.MapHeader(2);
  rb.Bulk("running_script");
  bool found = false;
  for (int w = 0; w < sc.workers() && !found; ++w) {
    RunSlot& slot = sc.slot(w);
    if (!slot.busy.load()) continue;
    found = true;
    std::lock_guard<std::mutex> lk(slot.mu);
    rb.MapHeader(3);
    rb.Bulk("name");
    rb.Bulk(slot.name);
    rb.Bulk("command");
    rb.ArrayHeader(static_cast<int64_t>(slot.command.size()));
    for (const auto& a : slot.command) rb.Bulk(a);
    rb.Bulk("duration_ms");
    rb.Integer(NowUnixMs() - slot.start_ms);
  }
  if (!found) rb.Null();
  rb.Bulk("engines");
  rb.MapHeader(1);
  rb.Bulk("LUA");
  rb.MapHeader(2);
  std::lock_guard<std::mutex> lk(sc.fn_mu());
  rb.Bulk("libraries_count");
  rb.Integer(static_cast<int64_t>(sc.libraries().size()));
  rb.Bulk("functions_count");
  rb.Integer(static_cast<int64_t>(sc.functions().size()));
}

void CmdFunctionKill(CmdArgs, CmdCtx& ctx) { KillBusyScript(ctx, false); }

void CmdFunctionHelp(CmdArgs, CmdCtx& ctx) {
  static const char* const kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
      "      libraries with the new libraries (notice that even on this option there is a chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->ArrayHeader(static_cast<int64_t>(std::size(kLines)));
  for (const char* l : kLines) ctx.rb->SimpleString(l);
}

void FcallGeneric(CmdArgs args, CmdCtx& ctx, bool ro) {
  Scripting& sc = GetScripting(*ctx.svc);
  auto job = std::make_unique<ScriptJob>();
  job->is_function = true;
  job->name.assign(args[1]);
  {
    std::lock_guard<std::mutex> lk(sc.fn_mu());
    auto it = sc.functions().find(job->name);
    if (it == sc.functions().end()) {
      ctx.rb->Error("ERR Function not found");
      return;
    }
    job->flags = it->second.flags;
  }
  int64_t n = 0;
  if (!ParseInt64(args[2], &n)) {
    ctx.rb->Error("ERR Bad number of keys provided");
    return;
  }
  if (n > static_cast<int64_t>(args.size()) - 3) {
    ctx.rb->Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  if (n < 0) {
    ctx.rb->Error("ERR Number of keys can't be negative");
    return;
  }
  if (ScriptRefusedForOom(ctx, job->flags)) return;
  if (ro && !(job->flags & lua::kFlagNoWrites)) {
    ctx.rb->Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  job->read_only = ro || (job->flags & lua::kFlagNoWrites);
  for (int64_t i = 0; i < n; ++i) job->keys.emplace_back(args[3 + i]);
  for (size_t i = 3 + n; i < args.size(); ++i) job->args.emplace_back(args[i]);
  job->command.assign(args.begin(), args.end());
  RunScriptJob(ctx, std::move(job));
}

void CmdFcall(CmdArgs args, CmdCtx& ctx) { FcallGeneric(args, ctx, false); }
void CmdFcallRo(CmdArgs args, CmdCtx& ctx) { FcallGeneric(args, ctx, true); }

}  // namespace

std::vector<CommandSpec> FunctionDumpCommands();  // function_dump.cc

void RegisterFunctionFamily(Service& svc) {
  if (!svc.scripting) svc.scripting = std::make_shared<Scripting>(svc.engine().size());
  const uint32_t k = kCmdConn | kCmdNoScript;
  CommandSpec fn = Cmd("function", -2, kCmdConn, 0, 0, 0, "slow", nullptr);
  fn.subcommands = {
      Cmd("function|delete", 3, k | kCmdWrite, 0, 0, 0, "write slow scripting", CmdFunctionDelete),
      Cmd("function|flush", -2, k | kCmdWrite, 0, 0, 0, "write slow scripting", CmdFunctionFlush),
      Cmd("function|help", 2, kCmdConn | kCmdLoading | kCmdStale, 0, 0, 0, "slow scripting",
          CmdFunctionHelp),
      Cmd("function|kill", 2, k | kCmdAllowBusy, 0, 0, 0, "slow scripting", CmdFunctionKill),
      Cmd("function|list", -2, k, 0, 0, 0, "slow scripting", CmdFunctionList),
      Cmd("function|load", -3, k | kCmdWrite | kCmdDenyOom, 0, 0, 0, "write slow scripting",
          CmdFunctionLoad),
      Cmd("function|stats", 2, k | kCmdAllowBusy, 0, 0, 0, "slow scripting", CmdFunctionStats),
  };
  for (auto& c : FunctionDumpCommands()) fn.subcommands.push_back(std::move(c));
  CommandSpec fcall = Cmd("fcall", -3,
                          kCmdConn | kCmdNoScript | kCmdStale | kCmdSkipMonitor |
                              kCmdMayReplicate | kCmdNoMandatoryKeys,
                          0, 0, 0, "slow scripting", CmdFcall);
  fcall.getkeys = ScriptGetKeys;
  CommandSpec fcall_ro = Cmd("fcall_ro", -3,
                             kCmdConn | kCmdNoScript | kCmdStale | kCmdSkipMonitor |
                                 kCmdNoMandatoryKeys | kCmdReadOnly,
                             0, 0, 0, "slow scripting", CmdFcallRo);
  fcall_ro.getkeys = ScriptGetKeys;
  svc.Register({std::move(fcall), std::move(fcall_ro), std::move(fn)});
}

}  // namespace kora
