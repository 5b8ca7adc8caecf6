// A Lua 5.1 interpreter set up the way Redis 7.0 embeds it: the libraries Redis loads (base,
// table, string, math, cjson, bit, struct, cmsgpack), the `redis` API, the sandbox (globals
// are read-only; reading an undefined one is an error) and the error handler that gives
// errors their "script: ..., on @user_script:N." suffix. See docs/design/scripting.md.
//
// One Vm per worker thread and kind; it is used only by the thread that runs scripts on that
// worker, one script at a time. Commands issued by redis.call go to a Host, which the command
// layer implements (routing, locks, replies).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"

struct lua_State;

namespace kora::lua {

// Script flags (shebang `#!lua flags=...` or redis.register_function{flags=...}).
enum ScriptFlag : uint32_t {
  kFlagNoWrites = 1u << 0,
  kFlagAllowOom = 1u << 1,
  kFlagAllowStale = 1u << 2,
  kFlagNoCluster = 1u << 3,
  kFlagAllowCrossSlot = 1u << 4,
  kFlagEvalCompat = 1u << 5,  // an EVAL script without a shebang
};

// Parses a flags list ("no-writes,allow-oom"); false with *bad set to the unknown flag.
bool ParseScriptFlag(std::string_view name, uint32_t* flag);

// What a running script asks of the server; implemented by the command layer.
class Host {
 public:
  virtual ~Host() = default;
  // Runs one command for redis.call/pcall in protocol `resp` (redis.setresp). Writes the reply
  // bytes, or a rejection as an error line ("-ERR ...\r\n").
  virtual void Call(std::span<const std::string_view> args, int resp, std::string* reply) = 0;
  // Called from the instruction-count hook; false means "stop the script" (SCRIPT KILL).
  virtual bool Continue() = 0;
  // redis.acl_check_cmd: -1 unknown command, else 1 (allowed).
  virtual int CheckCommand(std::span<const std::string_view> args) = 0;
  virtual void Log(int level, std::string_view msg) = 0;
};

// A registered function of a library (FUNCTION LOAD), as found while loading.
struct FunctionDef {
  std::string name;
  std::string description;  // empty: none
  bool has_description = false;
  uint32_t flags = 0;
  int ref = 0;  // registry reference of the Lua function in the Vm that loaded it
};

class Vm {
 public:
  enum class Kind { kEval, kFunction };
  explicit Vm(Kind kind);
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  // EVAL scripts, by sha: the compiled function's reference, or 0.
  int FindScript(const std::string& sha) const;
  // Compiles an EVAL body. Returns the reference, or 0 with *err set to Redis's text.
  int CompileScript(const std::string& sha, std::string_view body, std::string* err);

  // Runs a library's code (FUNCTION LOAD) and collects its redis.register_function calls.
  // Returns false with *err set to Redis's error text. `name` is the library name.
  bool LoadLibrary(std::string_view code, std::vector<FunctionDef>* out, std::string* err);

  // Runs a compiled function (an EVAL script, or a library function given its keys and args
  // as parameters), writing the reply in `rb`'s protocol. `name` is used in error suffixes
  // (the sha for EVAL, the function name for FCALL).
  void Run(int ref, const std::string& name, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, Host* host, bool busy_hook, ReplyBuilder* rb);

  // Bytes the interpreter uses (INFO used_memory_lua).
  int64_t MemoryBytes() const;
  lua_State* state() { return L_; }
  Kind kind() const { return kind_; }

 private:
  void Setup();
  Kind kind_;
  lua_State* L_;
  int scripts_ref_ = 0;  // registry ref of the sha -> function table
  uint64_t rand_state_ = 0x1234ABCD330EULL;  // math.random: lrand48 initial state
  int gc_count_ = 0;
};

// Lua C function installers (lua_cmsgpack.cc, lua_struct.cc).
int OpenCmsgpack(lua_State* L);
int OpenStruct(lua_State* L);

}  // namespace kora::lua
