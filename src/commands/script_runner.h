// Running Lua scripts (EVAL, FCALL) atomically across shards. See docs/design/scripting.md.
//
// Flow: the command (a connection-form handler) resolves the script, then the job takes the
// shard locks of its declared keys plus the connection's own shard, in ascending order, like
// EXEC. Once they are held it runs at the end of the worker's event batch (never inside
// another handler), on the connection's worker, with that worker's Lua VM. Each redis.call is
// dispatched through an in-process connection carrying the job's transaction id, so it enters
// the locked shards; when a call has to wait for another shard the worker keeps serving its
// loop (Worker::Pump) until the reply is there. Locks are released when the script returns.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "commands/service.h"
#include "core/value.h"
#include "scripting/lua_vm.h"

namespace kora {

// A function of a loaded library (FUNCTION LOAD).
struct FunctionInfo {
  std::string name;
  std::string library;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;
};

struct LibraryInfo {
  std::string name;
  std::string code;
  std::vector<FunctionInfo> functions;
};

// Per-worker view of a script in progress, readable from any thread (SCRIPT KILL).
struct RunSlot {
  std::atomic<bool> busy{false};   // running past busy-reply-threshold
  std::atomic<bool> kill{false};   // SCRIPT KILL / FUNCTION KILL asked for
  std::atomic<bool> wrote{false};  // ran a write command: no longer killable
  std::atomic<bool> is_function{false};
  // Set when the script turns busy, for FUNCTION STATS.
  std::mutex mu;
  std::string name;                  // GUARDED_BY(mu)
  std::vector<std::string> command;  // GUARDED_BY(mu)
  int64_t start_ms = 0;              // GUARDED_BY(mu)
};

// SCRIPT KILL (eval) and FUNCTION KILL (!eval), Redis's scriptKill.
void KillBusyScript(CmdCtx& ctx, bool eval);

// What a key looked like before a script first wrote it, kept on the key's shard while the
// script might still have to start over (see "Undeclared keys" in docs/design/scripting.md).
struct UndoEntry {
  int db = 0;
  std::string key;
  bool present = false;
  Value value;
  int64_t expire_at = 0;
};
struct UndoLog {
  std::vector<UndoEntry> entries;
  absl::flat_hash_set<std::string> seen;  // db + '\0' + key
};

// Scripts, libraries and the per-worker VMs. Owned by the Service (Service::scripting).
class Scripting {
 public:
  explicit Scripting(int workers);

  struct Script {
    std::string body;
    uint32_t flags = 0;
  };

  // Script cache (EVAL / SCRIPT LOAD), shared by all workers.
  bool FindScript(const std::string& sha, Script* out);
  void AddScript(const std::string& sha, const Script& s);
  bool HasScript(const std::string& sha);
  void FlushScripts();
  // Scripts seen touching keys they did not declare: they lock every shard from then on.
  bool IsUndeclared(const std::string& sha);
  void MarkUndeclared(const std::string& sha);

  // Function libraries.
  std::mutex& fn_mu() { return fn_mu_; }
  absl::flat_hash_map<std::string, LibraryInfo>& libraries() { return libraries_; }
  absl::flat_hash_map<std::string, FunctionInfo>& functions() { return functions_; }
  void BumpFunctions() { fn_epoch_.fetch_add(1); }

  // The worker's VMs (created or rebuilt after a flush on first use). Worker thread only.
  lua::Vm& EvalVm(int worker);
  lua::Vm& FunctionVm(int worker);
  RunSlot& slot(int worker) { return *slots_[worker]; }
  int workers() const { return static_cast<int>(slots_.size()); }
  // While a script runs on the worker its VMs are not rebuilt (a flush waits for the next run).
  void SetRunning(int worker, bool on) { vms_[worker].running += on ? 1 : -1; }
  // The function's Lua reference in the worker's function VM, or 0.
  int FunctionRef(int worker, const std::string& name);
  // Publishes the memory of the worker's VMs for ScriptStats (worker thread, after a run).
  void NoteVmMemory(int worker);

  // What INFO memory reports about scripting (any thread).
  struct Stats {
    uint64_t cached_scripts = 0, scripts_bytes = 0;  // EVAL cache: count, bodies and keys
    uint64_t functions = 0, libraries = 0, functions_bytes = 0;
    uint64_t vm_eval_bytes = 0, vm_functions_bytes = 0;  // Lua heaps, summed over workers
  };
  Stats GetStats();
  // Undo logs of the scripts holding this worker's shard, by transaction id. Worker thread only.
  absl::flat_hash_map<uint64_t, UndoLog>& undo(int worker) { return undo_[worker]; }
  // Batch-end runners, one per worker, created by the runner code on first use.
  std::vector<std::unique_ptr<BatchListener>>& runners() { return runners_; }

 private:
  struct WorkerVms {
    std::unique_ptr<lua::Vm> eval, fn;
    uint64_t eval_epoch = 0, fn_epoch = 0;
    absl::flat_hash_map<std::string, int> fn_refs;
    int running = 0;
    std::atomic<int64_t> eval_bytes{0}, fn_bytes{0};  // as last published by NoteVmMemory
  };
  std::mutex mu_;
  absl::flat_hash_map<std::string, Script> scripts_;  // GUARDED_BY(mu_)
  absl::flat_hash_map<std::string, bool> undeclared_;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> eval_epoch_{1}, fn_epoch_{1};
  std::mutex fn_mu_;
  absl::flat_hash_map<std::string, LibraryInfo> libraries_;  // GUARDED_BY(fn_mu_)
  absl::flat_hash_map<std::string, FunctionInfo> functions_;  // GUARDED_BY(fn_mu_)
  std::vector<WorkerVms> vms_;
  std::vector<std::unique_ptr<RunSlot>> slots_;
  std::vector<std::unique_ptr<BatchListener>> runners_;
  std::vector<absl::flat_hash_map<uint64_t, UndoLog>> undo_;
};

Scripting& GetScripting(Service& svc);

// One EVAL/FCALL to run.
struct ScriptJob {
  bool is_function = false;
  bool read_only = false;  // EVAL_RO, FCALL_RO or a no-writes script
  std::string name;        // sha (EVAL) or function name (FCALL)
  std::string body;        // EVAL source
  uint32_t flags = 0;
  // Memory was over maxmemory when the script started and it may not add more: its commands
  // that may grow memory answer OOM (an EVAL script without a shebang, Redis's
  // scriptVerifyOOM).
  bool deny_oom = false;
  std::vector<std::string> keys, args;
  std::vector<std::string> command;  // the invoking command, for FUNCTION STATS
};

// `code` with its first line (a shebang) blanked, so Lua line numbers stay those of the code.
std::string BlankFirstLine(std::string_view code);

// Key positions of EVAL/FCALL forms (numkeys at index 2), for COMMAND GETKEYS.
void ScriptGetKeys(CmdArgs args, std::vector<size_t>* keys);

// Parses a library's metadata and runs its code in a scratch VM; fills *out (name, code,
// functions). False with *err set to Redis's error reply text.
bool CompileLibrary(std::string_view code, LibraryInfo* out, std::string* err);
// Adds libraries (replacing same-named ones when `replace`), checking that no function name
// is taken by another library. All or nothing. Caller holds fn_mu.
bool InstallLibraries(Scripting& sc, std::vector<LibraryInfo> libs, bool replace,
                      std::string* err);

// A script or function that declares its flags (shebang, register_function) and is neither
// no-writes nor allow-oom is refused while memory is over maxmemory, before anything else is
// checked (Redis derives the command's deny-oom flag from the script's). Replies and returns
// true when refused.
bool ScriptRefusedForOom(CmdCtx& ctx, uint32_t flags);

// Runs `job` for the connection of ctx (a connection-form handler context) and replies.
void RunScriptJob(CmdCtx& ctx, std::unique_ptr<ScriptJob> job);

}  // namespace kora
