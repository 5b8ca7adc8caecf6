// libFuzzer target for the binary decoders scripts can reach: cmsgpack.unpack (MessagePack)
// and struct.unpack (format string + data). Garbage must raise a Lua error, never crash,
// hang or over-allocate. Input: first byte selects the decoder; for struct, the bytes up to
// the first NUL are the format and the rest the data.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include "scripting/lua_vm.h"

namespace {

lua_State* State() {
  static lua_State* L = [] {
    lua_State* s = luaL_newstate();
    luaL_openlibs(s);
    kora::lua::OpenCmsgpack(s);
    lua_setglobal(s, "cmsgpack");
    kora::lua::OpenStruct(s);
    lua_setglobal(s, "struct");
    return s;
  }();
  return L;
}

void Call(lua_State* L, const char* lib, const char* fn, std::string_view a,
          const std::string_view* b) {
  int top = lua_gettop(L);
  lua_getglobal(L, lib);
  lua_getfield(L, -1, fn);
  lua_pushlstring(L, a.data(), a.size());
  int nargs = 1;
  if (b != nullptr) {
    lua_pushlstring(L, b->data(), b->size());
    nargs = 2;
  }
  lua_pcall(L, nargs, LUA_MULTRET, 0);  // errors are expected; only crashes are bugs
  lua_settop(L, top);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  lua_State* L = State();
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      Call(L, "cmsgpack", "unpack", in, nullptr);
      break;
    case 1: {
      size_t nul = in.find('\0');
      std::string_view fmt = in.substr(0, nul);
      std::string_view rest = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
      if (fmt.size() > 64) fmt = fmt.substr(0, 64);  // bound the work one format can ask for
      Call(L, "struct", "unpack", fmt, &rest);
      break;
    }
    default:
      Call(L, "cmsgpack", "unpack_one", in, nullptr);
      break;
  }
  lua_gc(L, LUA_GCSTEP, 0);
  return 0;
}
