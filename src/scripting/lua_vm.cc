#include "scripting/lua_vm.h"

#include <cstring>

#include "scripting/lua_internal.h"

extern "C" {
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace kora::lua {

using detail::RunCtx;

namespace {

// Globals scripts may see (Redis 7's allow lists).
const char* const kAllowedGlobals[] = {
    "string", "cjson", "bit", "cmsgpack", "math", "table", "struct", "redis", "xpcall",
    "tostring", "getfenv", "setmetatable", "next", "assert", "tonumber", "rawequal",
    "collectgarbage", "getmetatable", "rawset", "pcall", "coroutine", "type", "select",
    "unpack", "gcinfo", "pairs", "rawget", "loadstring", "ipairs", "_VERSION", "setfenv",
    "load", "error", "newproxy", nullptr};
const char* const kReadOnlyLibs[] = {"string", "cjson", "bit", "cmsgpack", "math", "table",
                                     "struct", "redis", "coroutine", nullptr};

constexpr const char* kLoadingKey = "__kora_loading";
constexpr const char* kLoadApiKey = "__kora_load_api";
constexpr const char* kLibFunctionsKey = "__kora_lib_functions";

// An error handler with Redis's behaviour: errors become {err=..., source=..., line=...},
// the position being the Lua caller when the error came from a C function.
const char kErrHandler[] =
    "local getinfo = debug.getinfo\n"
    "return function(e)\n"
    "  local info = getinfo(2, 'nSl')\n"
    "  if info and info.what == 'C' then info = getinfo(3, 'nSl') end\n"
    "  if type(e) ~= 'table' then e = {err = 'ERR ' .. tostring(e)} end\n"
    "  if info then e['source'] = info.source; e['line'] = info.currentline end\n"
    "  return e\n"
    "end\n";

int ReadOnlyError(lua_State* L) { return luaL_error(L, "Attempt to modify a readonly table"); }

// __index of the globals: upvalue 1 is the real table; missing names are errors.
int StrictIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1)) return 1;
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    name ? name : "?");
}

// __index of a function library's globals: while loading only `redis` (the load API) exists.
int FunctionGlobalsIndex(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kLoadingKey);
  bool loading = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (loading) {
    const char* name = lua_tostring(L, 2);
    if (name && std::strcmp(name, "redis") == 0) {
      lua_getfield(L, LUA_REGISTRYINDEX, kLoadApiKey);
      return 1;
    }
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      name ? name : "?");
  }
  return StrictIndex(L);
}

void CountHook(lua_State* L, lua_Debug*) {
  RunCtx* ctx = detail::GetRunCtx(L);
  if (ctx == nullptr || ctx->host == nullptr || ctx->host->Continue()) return;
  // Fire on every line from now on, so a pcall cannot swallow the kill.
  lua_sethook(L, CountHook, LUA_MASKLINE, 0);
  detail::PushError(L, "Script killed by user with SCRIPT KILL...");
  lua_error(L);
}

bool ValidName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

int RaiseMsg(lua_State* L, const char* msg) {
  detail::PushError(L, msg);
  return lua_error(L);
}

// redis.register_function(name, callback) or redis.register_function{function_name=...,
// callback=..., flags={...}, description=...}, during FUNCTION LOAD.
int RegisterFunction(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kLibFunctionsKey);
  auto* out = static_cast<std::vector<FunctionDef>*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  if (out == nullptr) {
    return RaiseMsg(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  FunctionDef def;
  int argc = lua_gettop(L);
  if (argc == 1 && lua_istable(L, 1)) {
    lua_pushnil(L);
    bool have_cb = false;
    while (lua_next(L, 1)) {
      if (!lua_isstring(L, -2)) return RaiseMsg(L, "named argument key given to redis.register_function is not a string");
      std::string key = lua_tostring(L, -2);
      if (key == "function_name") {
        if (!lua_isstring(L, -1)) return RaiseMsg(L, "function_name argument given to redis.register_function must be a string");
        def.name = lua_tostring(L, -1);
      } else if (key == "description") {
        if (!lua_isstring(L, -1)) return RaiseMsg(L, "description argument given to redis.register_function must be a string");
        def.description = lua_tostring(L, -1);
        def.has_description = true;
      } else if (key == "callback") {
        if (!lua_isfunction(L, -1)) return RaiseMsg(L, "callback argument given to redis.register_function must be a function");
        lua_pushvalue(L, -1);
        def.ref = luaL_ref(L, LUA_REGISTRYINDEX);
        have_cb = true;
      } else if (key == "flags") {
        if (!lua_istable(L, -1)) return RaiseMsg(L, "flags argument to redis.register_function must be a table representing function flags");
        int n = static_cast<int>(lua_objlen(L, -1));
        for (int j = 1; j <= n; ++j) {
          lua_rawgeti(L, -1, j);
          uint32_t f = 0;
          if (!lua_isstring(L, -1) || !ParseScriptFlag(lua_tostring(L, -1), &f)) {
            return RaiseMsg(L, "unknown flag given");
          }
          def.flags |= f;
          lua_pop(L, 1);
        }
      } else {
        return RaiseMsg(L, "unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    if (def.name.empty() && !have_cb) {
      return RaiseMsg(L, "redis.register_function must get a function name argument");
    }
    if (!have_cb) return RaiseMsg(L, "redis.register_function must get a callback argument");
  } else if (argc == 2) {
    if (!lua_isstring(L, 1)) return RaiseMsg(L, "first argument to redis.register_function must be a string");
    if (!lua_isfunction(L, 2)) return RaiseMsg(L, "second argument to redis.register_function must be a function");
    def.name = lua_tostring(L, 1);
    lua_pushvalue(L, 2);
    def.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    return RaiseMsg(L, "wrong number of arguments to redis.register_function");
  }
  if (!ValidName(def.name)) {
    return RaiseMsg(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
  }
  for (const auto& f : *out) {
    if (f.name == def.name) return RaiseMsg(L, "Function already exists in the library");
  }
  out->push_back(std::move(def));
  return 0;
}

}  // namespace

bool ParseScriptFlag(std::string_view name, uint32_t* flag) {
  if (name == "no-writes") {
    *flag = kFlagNoWrites;
  } else if (name == "allow-oom") {
    *flag = kFlagAllowOom;
  } else if (name == "allow-stale") {
    *flag = kFlagAllowStale;
  } else if (name == "no-cluster") {
    *flag = kFlagNoCluster;
  } else if (name == "allow-cross-slot-keys") {
    *flag = kFlagAllowCrossSlot;
  } else {
    return false;
  }
  return true;
}

namespace detail {

void PushReadOnlyProxy(lua_State* L, int idx, bool strict) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_newtable(L);  // the proxy
  lua_newtable(L);  // its metatable
  if (strict) {
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, StrictIndex, 1);
  } else {
    lua_pushvalue(L, idx);
  }
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyError);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
}

}  // namespace detail

Vm::Vm(Kind kind) : kind_(kind), L_(luaL_newstate()) { Setup(); }

Vm::~Vm() { lua_close(L_); }

void Vm::Setup() {
  lua_State* L = L_;
  auto open = [L](lua_CFunction f, const char* name) {
    lua_pushcfunction(L, f);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
  };
  open(luaopen_base, "");
  open(luaopen_table, LUA_TABLIBNAME);
  open(luaopen_string, LUA_STRLIBNAME);
  open(luaopen_math, LUA_MATHLIBNAME);
  open(luaopen_debug, LUA_DBLIBNAME);
  lua_pushcfunction(L, luaopen_cjson);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cjson");
  lua_pushcfunction(L, luaopen_bit);
  lua_call(L, 0, 1);
  lua_setglobal(L, "bit");
  lua_pushcfunction(L, OpenStruct);
  lua_call(L, 0, 1);
  lua_setglobal(L, "struct");
  lua_pushcfunction(L, OpenCmsgpack);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cmsgpack");

  // The error handler, made while `debug` is still reachable.
  luaL_loadbuffer(L, kErrHandler, sizeof(kErrHandler) - 1, "@err_handler_def");
  lua_call(L, 0, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, detail::kErrHandlerKey);

  lua_pushvalue(L, LUA_GLOBALSINDEX);
  detail::RegisterRedisApi(L, kind_);
  lua_pop(L, 1);

  // A = the allowed globals, with the libraries behind read-only proxies.
  lua_newtable(L);
  int a = lua_gettop(L);
  for (const char* const* g = kAllowedGlobals; *g; ++g) {
    lua_getglobal(L, *g);
    lua_setfield(L, a, *g);
  }
  for (const char* const* g = kReadOnlyLibs; *g; ++g) {
    lua_getfield(L, a, *g);
    if (lua_istable(L, -1)) {
      detail::PushReadOnlyProxy(L, -1, false);
      lua_setfield(L, a, *g);
    }
    lua_pop(L, 1);
  }
  // E = the globals scripts see: reads of A, no writes, undefined names are errors.
  lua_newtable(L);
  int e = lua_gettop(L);
  lua_newtable(L);
  lua_pushvalue(L, a);
  lua_pushcclosure(L, kind_ == Kind::kEval ? StrictIndex : FunctionGlobalsIndex, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyError);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, e);
  lua_pushvalue(L, e);
  lua_setfield(L, a, "_G");
  lua_pushvalue(L, a);
  lua_setfield(L, LUA_REGISTRYINDEX, "__kora_allowed");
  if (kind_ == Kind::kFunction) {
    lua_newtable(L);
    int api = lua_gettop(L);
    detail::RegisterLoadApi(L);
    lua_pushcfunction(L, RegisterFunction);
    lua_setfield(L, api, "register_function");
    detail::PushReadOnlyProxy(L, api, true);
    lua_setfield(L, LUA_REGISTRYINDEX, kLoadApiKey);
    lua_pop(L, 1);
  }
  lua_pushvalue(L, e);
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 2);
  lua_newtable(L);
  scripts_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
}

int Vm::FindScript(const std::string& sha) const {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, scripts_ref_);
  lua_getfield(L_, -1, sha.c_str());
  int ref = lua_isnil(L_, -1) ? 0 : static_cast<int>(lua_tonumber(L_, -1));
  lua_pop(L_, 2);
  return ref;
}

int Vm::CompileScript(const std::string& sha, std::string_view body, std::string* err) {
  if (luaL_loadbuffer(L_, body.data(), body.size(), "@user_script") != 0) {
    *err = "Error compiling script (new function): ";
    const char* m = lua_tostring(L_, -1);
    err->append(m ? m : "");
    lua_pop(L_, 1);
    return 0;
  }
  int ref = luaL_ref(L_, LUA_REGISTRYINDEX);
  lua_rawgeti(L_, LUA_REGISTRYINDEX, scripts_ref_);
  lua_pushnumber(L_, ref);
  lua_setfield(L_, -2, sha.c_str());
  lua_pop(L_, 1);
  return ref;
}

bool Vm::LoadLibrary(std::string_view code, std::vector<FunctionDef>* out, std::string* err) {
  lua_State* L = L_;
  if (luaL_loadbuffer(L, code.data(), code.size(), "@user_function") != 0) {
    *err = "Error compiling function: ";
    const char* m = lua_tostring(L, -1);
    err->append(m ? m : "");
    lua_pop(L, 1);
    return false;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, detail::kErrHandlerKey);
  lua_insert(L, -2);
  lua_pushboolean(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadingKey);
  lua_pushlightuserdata(L, out);
  lua_setfield(L, LUA_REGISTRYINDEX, kLibFunctionsKey);
  int rc = lua_pcall(L, 0, 0, -2);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kLibFunctionsKey);
  lua_pushboolean(L, 0);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadingKey);
  if (rc != 0) {
    *err = "Error registering functions: ";
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      const char* m = lua_tostring(L, -1);
      err->append(m ? m : "");
      lua_pop(L, 1);
    } else {
      const char* m = lua_tostring(L, -1);
      err->append(m ? m : "unknown error");
    }
    lua_pop(L, 2);
    for (const auto& f : *out) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
    out->clear();
    return false;
  }
  lua_pop(L, 1);
  if (out->empty()) {
    *err = "No functions registered";
    return false;
  }
  return true;
}

void Vm::Run(int ref, const std::string& name, std::span<const std::string_view> keys,
             std::span<const std::string_view> args, Host* host, bool busy_hook,
             ReplyBuilder* rb) {
  lua_State* L = L_;
  RunCtx* prev = detail::GetRunCtx(L);
  RunCtx ctx;
  ctx.host = host;
  ctx.rand_state = prev ? prev->rand_state : rand_state_;
  lua_pushlightuserdata(L, &ctx);
  lua_setfield(L, LUA_REGISTRYINDEX, detail::kRunCtxKey);
  if (busy_hook) lua_sethook(L, CountHook, LUA_MASKCOUNT, 100000);

  lua_getfield(L, LUA_REGISTRYINDEX, detail::kErrHandlerKey);
  int handler = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  auto push_array = [L](std::span<const std::string_view> v) {
    lua_createtable(L, static_cast<int>(v.size()), 0);
    for (size_t j = 0; j < v.size(); ++j) {
      lua_pushlstring(L, v[j].data(), v[j].size());
      lua_rawseti(L, -2, static_cast<int>(j + 1));
    }
  };
  int nargs = 0;
  if (kind_ == Kind::kEval) {
    lua_getfield(L, LUA_REGISTRYINDEX, "__kora_allowed");
    push_array(keys);
    lua_setfield(L, -2, "KEYS");
    push_array(args);
    lua_setfield(L, -2, "ARGV");
    lua_pop(L, 1);
  } else {
    push_array(keys);
    push_array(args);
    nargs = 2;
  }
  int err = lua_pcall(L, nargs, 1, handler);
  if (++gc_count_ == 50) {
    lua_gc(L, LUA_GCSTEP, 50);
    gc_count_ = 0;
  }
  if (err != 0) {
    if (!lua_istable(L, -1)) {
      const char* m = lua_tostring(L, -1);
      std::string msg = "ERR Error running script " + name + ", ";
      msg.append(std::string(m ? m : "execution failure").substr(0, 100));
      rb->Error(msg);
    } else {
      std::string msg, source, line;
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
      lua_pop(L, 1);
      lua_getfield(L, -1, "source");
      bool has_source = lua_isstring(L, -1);
      if (has_source) source = lua_tostring(L, -1);
      lua_pop(L, 1);
      lua_getfield(L, -1, "line");
      bool has_line = lua_isstring(L, -1);
      if (has_line) line = lua_tostring(L, -1);
      lua_pop(L, 1);
      if (has_source && has_line) msg += " script: " + name + ", on " + source + ":" + line + ".";
      rb->Error(msg);
    }
    lua_pop(L, 1);
  } else {
    detail::WriteReply(L, ctx.resp, rb);
  }
  lua_pop(L, 1);  // the handler
  if (busy_hook) lua_sethook(L, nullptr, 0, 0);
  rand_state_ = ctx.rand_state;
  lua_pushlightuserdata(L, prev);
  lua_setfield(L, LUA_REGISTRYINDEX, detail::kRunCtxKey);
}

int64_t Vm::MemoryBytes() const { return static_cast<int64_t>(lua_gc(L_, LUA_GCCOUNT, 0)) * 1024; }

}  // namespace kora::lua
