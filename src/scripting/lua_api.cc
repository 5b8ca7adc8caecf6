// The `redis` table scripts see: call, pcall, error_reply, status_reply, sha1hex, log,
// setresp, set_repl, replicate_commands, acl_check_cmd, version numbers; and math.random.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "scripting/lua_internal.h"
#include "scripting/sha1.h"

namespace kora::lua::detail {
namespace {

constexpr int kLogDebug = 0, kLogVerbose = 1, kLogNotice = 2, kLogWarning = 3;
constexpr int64_t kRandMax = 2147483647;  // REDIS_LRAND48_MAX

int64_t NextRandom(RunCtx* ctx) {
  ctx->rand_state = (ctx->rand_state * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
  return static_cast<int64_t>(ctx->rand_state >> 17);
}

// redis.call / redis.pcall. Arguments become strings (numbers with %.17g, as Redis does).
int GenericCommand(lua_State* L, bool raise) {
  RunCtx* ctx = GetRunCtx(L);
  if (ctx == nullptr || ctx->host == nullptr) {
    PushError(L, "redis.call/pcall can only be called inside a script invocation");
    return lua_error(L);
  }
  int argc = lua_gettop(L);
  if (argc == 0) {
    PushError(L, "Please specify at least one argument for this redis lib call");
    return raise ? lua_error(L) : 1;
  }
  std::vector<std::string> owned(argc);
  std::vector<std::string_view> args(argc);
  for (int j = 0; j < argc; ++j) {
    int t = lua_type(L, j + 1);
    if (t == LUA_TNUMBER) {
      char buf[64];
      int n = snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(lua_tonumber(L, j + 1)));
      owned[j].assign(buf, n);
    } else if (t == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L, j + 1, &len);
      owned[j].assign(s, len);
    } else {
      lua_pop(L, argc);
      PushError(L, "Lua redis lib command arguments must be strings or integers");
      return raise ? lua_error(L) : 1;
    }
    args[j] = owned[j];
  }
  lua_pop(L, argc);
  std::string reply;
  ctx->host->Call(args, ctx->resp, &reply);
  if (!reply.empty() && reply[0] == '-') {
    size_t end = reply.find('\r');
    PushError(L, std::string_view(reply).substr(0, end));
    lua_pushstring(L, "ignore_error_stats_update");
    lua_pushboolean(L, 1);
    lua_settable(L, -3);
    return raise ? lua_error(L) : 1;
  }
  PushReply(L, reply);
  return 1;
}

int RedisCall(lua_State* L) { return GenericCommand(L, true); }
int RedisPCall(lua_State* L) { return GenericCommand(L, false); }

// The global pcall: like Lua's, but an error table is returned as its message (Redis 7).
int ScriptPcall(lua_State* L) {
  int argc = lua_gettop(L);
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

int Sha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) {
    PushError(L, "wrong number of arguments");
    return lua_error(L);
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(std::string_view(s ? s : "", s ? len : 0));
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int ErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  std::string err = lua_tostring(L, -1);
  if (err.empty() || err[0] != '-') err.insert(0, "-");
  PushError(L, err);
  return 1;
}

int StatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, "ok");
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  return 1;
}

int SetRepl(lua_State* L) {
  if (GetRunCtx(L) == nullptr) {
    PushError(L, "redis.set_repl can only be called inside a script invocation");
    return lua_error(L);
  }
  if (lua_gettop(L) != 1) {
    PushError(L, "redis.set_repl() requires two arguments.");
    return lua_error(L);
  }
  int flags = static_cast<int>(lua_tonumber(L, -1));
  if ((flags & ~3) != 0) {
    PushError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return lua_error(L);
  }
  return 0;  // no replication: accepted, as Redis 7 does with nothing to propagate to
}

int ReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int Breakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int Debug(lua_State*) { return 0; }

int AclCheckCmd(lua_State* L) {
  RunCtx* ctx = GetRunCtx(L);
  if (ctx == nullptr || ctx->host == nullptr) {
    PushError(L, "redis.acl_check_cmd can only be called inside a script invocation");
    return lua_error(L);
  }
  int argc = lua_gettop(L);
  if (argc == 0) {
    PushError(L, "Please specify at least one argument for this redis lib call");
    return lua_error(L);
  }
  std::vector<std::string> owned(argc);
  std::vector<std::string_view> args(argc);
  for (int j = 0; j < argc; ++j) {
    size_t len;
    const char* s = lua_tolstring(L, j + 1, &len);
    if (s == nullptr) {
      PushError(L, "Lua redis lib command arguments must be strings or integers");
      return lua_error(L);
    }
    owned[j].assign(s, len);
    args[j] = owned[j];
  }
  if (ctx->host->CheckCommand(args) < 0) {
    PushError(L, "Invalid command passed to redis.acl_check_cmd()");
    return lua_error(L);
  }
  lua_pushboolean(L, 1);
  return 1;
}

int Log(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) {
    PushError(L, "redis.log() requires two arguments or more.");
    return lua_error(L);
  }
  if (!lua_isnumber(L, -argc)) {
    PushError(L, "First argument must be a number (log level).");
    return lua_error(L);
  }
  int level = static_cast<int>(lua_tonumber(L, -argc));
  if (level < kLogDebug || level > kLogWarning) {
    PushError(L, "Invalid debug level.");
    return lua_error(L);
  }
  std::string msg;
  for (int j = 1; j < argc; ++j) {
    size_t len;
    const char* s = lua_tolstring(L, (-argc) + j, &len);
    if (s) {
      if (j != 1) msg.push_back(' ');
      msg.append(s, len);
    }
  }
  RunCtx* ctx = GetRunCtx(L);
  if (ctx && ctx->host) ctx->host->Log(level, msg);
  return 0;
}

int SetResp(lua_State* L) {
  RunCtx* ctx = GetRunCtx(L);
  if (ctx == nullptr) {
    PushError(L, "redis.setresp can only be called inside a script invocation");
    return lua_error(L);
  }
  if (lua_gettop(L) != 1) {
    PushError(L, "redis.setresp() requires one argument.");
    return lua_error(L);
  }
  int resp = static_cast<int>(lua_tonumber(L, -1));
  if (resp != 2 && resp != 3) {
    PushError(L, "RESP version must be 2 or 3.");
    return lua_error(L);
  }
  ctx->resp = resp;
  return 0;
}

int MathRandom(lua_State* L) {
  RunCtx* ctx = GetRunCtx(L);
  if (ctx == nullptr) return luaL_error(L, "math.random can only be called inside a script invocation");
  lua_Number r = static_cast<lua_Number>(NextRandom(ctx) % kRandMax) / static_cast<lua_Number>(kRandMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* L) {
  RunCtx* ctx = GetRunCtx(L);
  if (ctx == nullptr) {
    return luaL_error(L, "math.randomseed can only be called inside a script invocation");
  }
  SeedRandom(ctx, luaL_checkint(L, 1));
  return 0;
}

void SetFn(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushstring(L, name);
  lua_pushcfunction(L, f);
  lua_settable(L, -3);
}

void SetNum(lua_State* L, const char* name, double v) {
  lua_pushstring(L, name);
  lua_pushnumber(L, v);
  lua_settable(L, -3);
}

void RegisterLogAndVersion(lua_State* L) {
  SetFn(L, "log", Log);
  SetNum(L, "LOG_DEBUG", kLogDebug);
  SetNum(L, "LOG_VERBOSE", kLogVerbose);
  SetNum(L, "LOG_NOTICE", kLogNotice);
  SetNum(L, "LOG_WARNING", kLogWarning);
  SetNum(L, "REDIS_VERSION_NUM", 0x07000f);
  lua_pushstring(L, "REDIS_VERSION");
  lua_pushstring(L, "7.0.15");
  lua_settable(L, -3);
}

}  // namespace

RunCtx* GetRunCtx(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRunCtxKey);
  auto* ctx = static_cast<RunCtx*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return ctx;
}

void SeedRandom(RunCtx* ctx, int32_t seed) {
  ctx->rand_state = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E;
}

void PushError(lua_State* L, std::string_view err) {
  std::string code = "ERR", msg;
  if (!err.empty() && err[0] == '-') {
    size_t sp = err.find(' ');
    if (sp == std::string_view::npos) {
      msg.assign(err.substr(1));
    } else {
      code.assign(err.substr(1, sp - 1));
      msg.assign(err.substr(sp + 1));
    }
  } else {
    msg.assign(err);
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.pop_back();
  size_t b = 0;
  while (b < msg.size() && (msg[b] == '\r' || msg[b] == '\n')) ++b;
  std::string final_msg = code + " " + msg.substr(b);
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, final_msg.data(), final_msg.size());
  lua_settable(L, -3);
}

void RegisterRedisApi(lua_State* L, Vm::Kind kind) {
  lua_pushcfunction(L, ScriptPcall);
  lua_setfield(L, -2, "pcall");
  lua_newtable(L);
  SetFn(L, "call", RedisCall);
  SetFn(L, "pcall", RedisPCall);
  RegisterLogAndVersion(L);
  SetFn(L, "setresp", SetResp);
  SetFn(L, "sha1hex", Sha1hex);
  SetFn(L, "error_reply", ErrorReply);
  SetFn(L, "status_reply", StatusReply);
  SetFn(L, "set_repl", SetRepl);
  SetNum(L, "REPL_NONE", 0);
  SetNum(L, "REPL_AOF", 1);
  SetNum(L, "REPL_SLAVE", 2);
  SetNum(L, "REPL_REPLICA", 2);
  SetNum(L, "REPL_ALL", 3);
  SetFn(L, "acl_check_cmd", AclCheckCmd);
  if (kind == Vm::Kind::kEval) {
    SetFn(L, "replicate_commands", ReplicateCommands);
    SetFn(L, "breakpoint", Breakpoint);
    SetFn(L, "debug", Debug);
  }
  lua_setfield(L, -2, "redis");
  lua_getfield(L, -1, "math");
  SetFn(L, "random", MathRandom);
  SetFn(L, "randomseed", MathRandomSeed);
  lua_pop(L, 1);
}

void RegisterLoadApi(lua_State* L) {
  // register_function is added by the Vm (it needs the library being loaded).
  RegisterLogAndVersion(L);
}

}  // namespace kora::lua::detail
