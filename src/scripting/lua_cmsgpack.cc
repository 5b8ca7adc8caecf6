// The `cmsgpack` library scripts see: cmsgpack.pack(...) encodes each argument as a MessagePack
// object and concatenates them; cmsgpack.unpack(s) returns every object in s;
// cmsgpack.unpack_one(s [, offset]) and cmsgpack.unpack_limit(s, limit [, offset]) return the
// next offset (-1 at the end) followed by the objects. Encoding follows Redis's bundled
// library: smallest integer form, float32 when exact, str8/16/32, tables with keys 1..n as
// arrays and others as maps, nesting past 16 levels as nil.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "scripting/lua_internal.h"

namespace kora::lua {
namespace {

constexpr int kMaxNesting = 16;

void PutBE(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void EncodeInt(std::string* out, int64_t n) {
  if (n >= 0) {
    uint64_t u = static_cast<uint64_t>(n);
    if (u <= 127) {
      out->push_back(static_cast<char>(u));
    } else if (u <= 0xff) {
      out->push_back(static_cast<char>(0xcc));
      PutBE(out, u, 1);
    } else if (u <= 0xffff) {
      out->push_back(static_cast<char>(0xcd));
      PutBE(out, u, 2);
    } else if (u <= 0xffffffffULL) {
      out->push_back(static_cast<char>(0xce));
      PutBE(out, u, 4);
    } else {
      out->push_back(static_cast<char>(0xcf));
      PutBE(out, u, 8);
    }
  } else if (n >= -32) {
    out->push_back(static_cast<char>(n));
  } else if (n >= -128) {
    out->push_back(static_cast<char>(0xd0));
    PutBE(out, static_cast<uint64_t>(n), 1);
  } else if (n >= -32768) {
    out->push_back(static_cast<char>(0xd1));
    PutBE(out, static_cast<uint64_t>(n), 2);
  } else if (n >= -2147483648LL) {
    out->push_back(static_cast<char>(0xd2));
    PutBE(out, static_cast<uint64_t>(n), 4);
  } else {
    out->push_back(static_cast<char>(0xd3));
    PutBE(out, static_cast<uint64_t>(n), 8);
  }
}

void EncodeNumber(std::string* out, lua_Number n) {
  if (std::isfinite(n) && std::floor(n) == n && n >= -9223372036854775808.0 &&
      n < 9223372036854775808.0) {
    EncodeInt(out, static_cast<int64_t>(n));
    return;
  }
  float f = static_cast<float>(n);
  if (static_cast<lua_Number>(f) == n) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    out->push_back(static_cast<char>(0xca));
    PutBE(out, bits, 4);
  } else {
    uint64_t bits;
    double d = n;
    std::memcpy(&bits, &d, 8);
    out->push_back(static_cast<char>(0xcb));
    PutBE(out, bits, 8);
  }
}

void EncodeString(std::string* out, const char* s, size_t len) {
  if (len < 32) {
    out->push_back(static_cast<char>(0xa0 | len));
  } else if (len <= 0xff) {
    out->push_back(static_cast<char>(0xd9));
    PutBE(out, len, 1);
  } else if (len <= 0xffff) {
    out->push_back(static_cast<char>(0xda));
    PutBE(out, len, 2);
  } else {
    out->push_back(static_cast<char>(0xdb));
    PutBE(out, len, 4);
  }
  out->append(s, len);
}

// The table on top of the stack is an array when its keys are exactly 1..n.
bool IsArray(lua_State* L, size_t* n) {
  size_t count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return false;
    }
    lua_Number k = lua_tonumber(L, -1);
    if (k <= 0 || std::floor(k) != k) {
      lua_pop(L, 1);
      return false;
    }
    if (k > static_cast<lua_Number>(max)) max = static_cast<size_t>(k);
    ++count;
  }
  *n = count;
  return max == count;
}

void Encode(lua_State* L, std::string* out, int level);

void EncodeTable(lua_State* L, std::string* out, int level) {
  size_t n = 0;
  if (IsArray(L, &n)) {
    if (n <= 15) {
      out->push_back(static_cast<char>(0x90 | n));
    } else if (n <= 0xffff) {
      out->push_back(static_cast<char>(0xdc));
      PutBE(out, n, 2);
    } else {
      out->push_back(static_cast<char>(0xdd));
      PutBE(out, n, 4);
    }
    for (size_t j = 1; j <= n; ++j) {
      lua_rawgeti(L, -1, static_cast<int>(j));
      Encode(L, out, level + 1);
    }
    return;
  }
  n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    ++n;
  }
  if (n <= 15) {
    out->push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    out->push_back(static_cast<char>(0xde));
    PutBE(out, n, 2);
  } else {
    out->push_back(static_cast<char>(0xdf));
    PutBE(out, n, 4);
  }
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    Encode(L, out, level + 1);  // key
    Encode(L, out, level + 1);  // value
  }
}

// Encodes the value on top of the stack and pops it.
void Encode(lua_State* L, std::string* out, int level) {
  luaL_checkstack(L, 4, "cmsgpack: too deep");
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      EncodeString(out, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      out->push_back(static_cast<char>(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
      break;
    case LUA_TNUMBER:
      EncodeNumber(out, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      if (level >= kMaxNesting) {
        out->push_back(static_cast<char>(0xc0));
      } else {
        EncodeTable(L, out, level);
      }
      break;
    default:
      out->push_back(static_cast<char>(0xc0));
  }
  lua_pop(L, 1);
}

int Pack(lua_State* L) {
  int n = lua_gettop(L);
  if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  std::string out;
  for (int i = 1; i <= n; ++i) {
    lua_pushvalue(L, i);
    Encode(L, &out, 0);
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

class Decoder {
 public:
  Decoder(const char* p, size_t n) : p_(reinterpret_cast<const unsigned char*>(p)), n_(n) {}
  size_t pos = 0;
  // 0 ok, 1 missing bytes, 2 bad data.
  int err = 0;

  void Decode(lua_State* L) {
    luaL_checkstack(L, 3, "cmsgpack: too deep");
    if (!Need(1)) return;
    unsigned char c = p_[pos++];
    if (c <= 0x7f) {
      lua_pushnumber(L, c);
    } else if (c >= 0xe0) {
      lua_pushnumber(L, static_cast<int8_t>(c));
    } else if ((c & 0xe0) == 0xa0) {
      Str(L, c & 0x1f);
    } else if ((c & 0xf0) == 0x90) {
      Array(L, c & 0x0f);
    } else if ((c & 0xf0) == 0x80) {
      Map(L, c & 0x0f);
    } else {
      switch (c) {
        case 0xc0: lua_pushnil(L); break;
        case 0xc2: lua_pushboolean(L, 0); break;
        case 0xc3: lua_pushboolean(L, 1); break;
        case 0xcc: Uint(L, 1); break;
        case 0xcd: Uint(L, 2); break;
        case 0xce: Uint(L, 4); break;
        case 0xcf: Uint(L, 8); break;
        case 0xd0: Int(L, 1); break;
        case 0xd1: Int(L, 2); break;
        case 0xd2: Int(L, 4); break;
        case 0xd3: Int(L, 8); break;
        case 0xca: {
          if (!Need(4)) return;
          uint32_t b = static_cast<uint32_t>(Get(4));
          float f;
          std::memcpy(&f, &b, 4);
          lua_pushnumber(L, f);
          break;
        }
        case 0xcb: {
          if (!Need(8)) return;
          uint64_t b = Get(8);
          double d;
          std::memcpy(&d, &b, 8);
          lua_pushnumber(L, d);
          break;
        }
        case 0xd9: case 0xc4: if (Need(1)) Str(L, Get(1)); break;
        case 0xda: case 0xc5: if (Need(2)) Str(L, Get(2)); break;
        case 0xdb: case 0xc6: if (Need(4)) Str(L, Get(4)); break;
        case 0xdc: if (Need(2)) Array(L, Get(2)); break;
        case 0xdd: if (Need(4)) Array(L, Get(4)); break;
        case 0xde: if (Need(2)) Map(L, Get(2)); break;
        case 0xdf: if (Need(4)) Map(L, Get(4)); break;
        default: err = 2;
      }
    }
  }

 private:
  bool Need(size_t k) {
    if (err) return false;
    if (n_ - pos < k) {
      err = 1;
      return false;
    }
    return true;
  }
  uint64_t Get(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p_[pos++];
    return v;
  }
  void Uint(lua_State* L, int b) {
    if (Need(b)) lua_pushnumber(L, static_cast<lua_Number>(Get(b)));
  }
  void Int(lua_State* L, int b) {
    if (!Need(b)) return;
    uint64_t v = Get(b);
    int64_t s = b == 8 ? static_cast<int64_t>(v)
                       : static_cast<int64_t>(v << (64 - 8 * b)) >> (64 - 8 * b);
    lua_pushnumber(L, static_cast<lua_Number>(s));
  }
  void Str(lua_State* L, uint64_t len) {
    if (!Need(len)) return;
    lua_pushlstring(L, reinterpret_cast<const char*>(p_ + pos), len);
    pos += len;
  }
  void Array(lua_State* L, uint64_t n) {
    lua_newtable(L);
    for (uint64_t j = 1; j <= n && !err; ++j) {
      Decode(L);
      if (err) return;
      lua_rawseti(L, -2, static_cast<int>(j));
    }
  }
  void Map(lua_State* L, uint64_t n) {
    lua_newtable(L);
    for (uint64_t j = 0; j < n && !err; ++j) {
      Decode(L);
      if (err) return;
      Decode(L);
      if (err) return;
      lua_settable(L, -3);
    }
  }

  const unsigned char* p_;
  size_t n_;
};

// Decodes up to `limit` objects from `offset` (limit 0 and offset 0: all of them, and no
// offset is returned); otherwise pushes the next offset (-1 at the end) then the objects.
int UnpackFull(lua_State* L, int limit, int offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  bool all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", offset,
                      static_cast<int>(len));
  }
  if (all) limit = INT32_MAX;
  Decoder d(s + offset, len - offset);
  int base = lua_gettop(L);
  int count = 0;
  while (d.pos < len - offset && count < limit) {
    d.Decode(L);
    if (d.err) {
      lua_settop(L, base);
      return luaL_error(L, d.err == 1 ? "Missing bytes in input." : "Bad data format in input.");
    }
    ++count;
  }
  if (!all) {
    size_t next = offset + d.pos;
    lua_pushinteger(L, next >= len ? -1 : static_cast<lua_Integer>(next));
    lua_insert(L, base + 1);
  }
  return lua_gettop(L) - base;
}

int Unpack(lua_State* L) {
  lua_settop(L, 1);
  return UnpackFull(L, 0, 0);
}

int UnpackOne(lua_State* L) {
  int offset = luaL_optint(L, 2, 0);
  lua_settop(L, 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  int limit = luaL_checkint(L, 2);
  int offset = luaL_optint(L, 3, 0);
  lua_settop(L, 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  static const luaL_Reg kFns[] = {{"pack", Pack},
                                  {"unpack", Unpack},
                                  {"unpack_one", UnpackOne},
                                  {"unpack_limit", UnpackLimit},
                                  {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, kFns);
  lua_pushstring(L, "lua-cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushstring(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  return 1;
}

}  // namespace kora::lua
