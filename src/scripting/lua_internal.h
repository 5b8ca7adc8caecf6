// Internals shared by the Vm's source files.
#pragma once

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include <string>
#include <string_view>

#include "protocol/reply_builder.h"
#include "scripting/lua_vm.h"

namespace kora::lua::detail {

// The state of the invocation in progress, kept in the registry while a script runs.
struct RunCtx {
  Host* host = nullptr;
  int resp = 2;  // redis.setresp
  uint64_t rand_state = 0;
};

inline constexpr const char* kRunCtxKey = "__kora_run_ctx";
inline constexpr const char* kErrHandlerKey = "__kora_err_handler";
inline constexpr const char* kLibraryCtxKey = "__kora_library_ctx";

RunCtx* GetRunCtx(lua_State* L);

// Pushes an error table {err="CODE msg"} built the way Redis's luaPushErrorBuff does.
void PushError(lua_State* L, std::string_view msg);

// Converts the RESP reply `reply` into a Lua value on the stack.
void PushReply(lua_State* L, std::string_view reply);

// Writes the value on top of the stack as a reply (and pops it). `script_resp` is the
// script's redis.setresp protocol.
void WriteReply(lua_State* L, int script_resp, ReplyBuilder* rb);

// Installs the `redis` table (and math.random) into the table on top of the stack.
void RegisterRedisApi(lua_State* L, Vm::Kind kind);
// Installs only what redis has during FUNCTION LOAD (register_function, log, versions).
void RegisterLoadApi(lua_State* L);

// Makes `t` (stack index) read-only for scripts: returns with a proxy table pushed whose
// reads go to the original and whose writes fail. `strict` reads of missing keys fail too.
void PushReadOnlyProxy(lua_State* L, int idx, bool strict);

// Redis's 48-bit PRNG (rand.c): deterministic math.random.
void SeedRandom(RunCtx* ctx, int32_t seed);

}  // namespace kora::lua::detail
