// Conversions between RESP replies and Lua values, with Redis's rules (eval.c, script_lua.c):
// integers become numbers, nil bulk and nil array become false, status and error replies
// become {ok=...} / {err=...}; RESP3 maps, sets, doubles, big numbers and verbatim strings
// become tables tagged map/set/double/big_number/verbatim_string. Back the other way, numbers
// are truncated to integers, false is nil (RESP2), arrays stop at the first nil.
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "scripting/lua_internal.h"

namespace kora::lua::detail {
namespace {

class RespReader {
 public:
  explicit RespReader(std::string_view s) : s_(s) {}

  // Pushes one value (nothing when L is null: the value is skipped).
  void Read(lua_State* L) {
    if (pos_ >= s_.size()) {
      if (L) lua_pushnil(L);
      return;
    }
    char tag = s_[pos_++];
    std::string_view line = Line();
    if (L && !lua_checkstack(L, 5)) luaL_error(L, "reached lua stack limit");
    switch (tag) {
      case ':': {
        if (L) lua_pushnumber(L, static_cast<lua_Number>(std::strtoll(std::string(line).c_str(), nullptr, 10)));
        break;
      }
      case '$': {
        int64_t n = Num(line);
        if (n < 0) {
          if (L) lua_pushboolean(L, 0);
          break;
        }
        std::string_view body = s_.substr(pos_, n);
        pos_ += n + 2;
        if (L) lua_pushlstring(L, body.data(), body.size());
        break;
      }
      case '+':
        if (L) Tagged(L, "ok", line);
        break;
      case '-':
        if (L) {
          std::string e = "-";
          e.append(line);
          PushError(L, e);
          lua_pushstring(L, "ignore_error_stats_update");
          lua_pushboolean(L, 1);
          lua_settable(L, -3);
        }
        break;
      case '*': {
        int64_t n = Num(line);
        if (n < 0) {
          if (L) lua_pushboolean(L, 0);
          break;
        }
        if (L) lua_newtable(L);
        for (int64_t j = 0; j < n; ++j) {
          if (L) lua_pushnumber(L, static_cast<lua_Number>(j + 1));
          Read(L);
          if (L) lua_settable(L, -3);
        }
        break;
      }
      case '%': {
        int64_t n = Num(line);
        if (L) {
          lua_newtable(L);
          lua_pushstring(L, "map");
          lua_newtable(L);
        }
        for (int64_t j = 0; j < n; ++j) {
          Read(L);
          Read(L);
          if (L) lua_settable(L, -3);
        }
        if (L) lua_settable(L, -3);
        break;
      }
      case '~': {
        int64_t n = Num(line);
        if (L) {
          lua_newtable(L);
          lua_pushstring(L, "set");
          lua_newtable(L);
        }
        for (int64_t j = 0; j < n; ++j) {
          Read(L);
          if (L) {
            lua_pushboolean(L, 1);
            lua_settable(L, -3);
          }
        }
        if (L) lua_settable(L, -3);
        break;
      }
      case '_':
        if (L) lua_pushnil(L);
        break;
      case '#':
        if (L) lua_pushboolean(L, line == "t");
        break;
      case ',': {
        if (L) {
          lua_newtable(L);
          lua_pushstring(L, "double");
          long double d = 0;
          std::string v(line);
          if (v == "inf") {
            d = HUGE_VAL;
          } else if (v == "-inf") {
            d = -HUGE_VAL;
          } else {
            d = std::strtold(v.c_str(), nullptr);
          }
          lua_pushnumber(L, static_cast<lua_Number>(d));
          lua_settable(L, -3);
        }
        break;
      }
      case '(':
        if (L) Tagged(L, "big_number", line);
        break;
      case '=': {
        int64_t n = Num(line);
        std::string_view body = s_.substr(pos_, n);
        pos_ += n + 2;
        if (L) {
          lua_newtable(L);
          lua_pushstring(L, "verbatim_string");
          lua_newtable(L);
          lua_pushstring(L, "string");
          std::string_view str = body.size() >= 4 ? body.substr(4) : body;
          lua_pushlstring(L, str.data(), str.size());
          lua_settable(L, -3);
          lua_pushstring(L, "format");
          lua_pushlstring(L, body.data(), std::min<size_t>(3, body.size()));
          lua_settable(L, -3);
          lua_settable(L, -3);
        }
        break;
      }
      case '|': {
        int64_t n = Num(line);
        for (int64_t j = 0; j < n; ++j) {
          Read(nullptr);
          Read(nullptr);
        }
        Read(L);
        break;
      }
      case '>': {  // a push frame: read as an array
        int64_t n = Num(line);
        if (L) lua_newtable(L);
        for (int64_t j = 0; j < n; ++j) {
          if (L) lua_pushnumber(L, static_cast<lua_Number>(j + 1));
          Read(L);
          if (L) lua_settable(L, -3);
        }
        break;
      }
      default:
        if (L) lua_pushnil(L);
    }
  }

 private:
  std::string_view Line() {
    size_t e = s_.find("\r\n", pos_);
    if (e == std::string_view::npos) e = s_.size();
    std::string_view l = s_.substr(pos_, e - pos_);
    pos_ = e + 2;
    return l;
  }
  static int64_t Num(std::string_view l) {
    int64_t v = 0;
    ParseInt64(l, &v);
    return v;
  }
  static void Tagged(lua_State* L, const char* field, std::string_view v) {
    lua_newtable(L);
    lua_pushstring(L, field);
    lua_pushlstring(L, v.data(), v.size());
    lua_settable(L, -3);
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string NoNewlines(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

// Looks up t[field] for the table on top; leaves it pushed and returns its type.
int Field(lua_State* L, const char* field) {
  lua_pushstring(L, field);
  lua_gettable(L, -2);
  return lua_type(L, -1);
}

void WriteTable(lua_State* L, int script_resp, ReplyBuilder* rb) {
  if (Field(L, "err") == LUA_TSTRING) {
    std::string msg(lua_tostring(L, -1));
    lua_pop(L, 1);
    rb->Error(NoNewlines(msg));
    return;
  }
  lua_pop(L, 1);
  if (Field(L, "ok") == LUA_TSTRING) {
    std::string ok = NoNewlines(lua_tostring(L, -1));
    lua_pop(L, 1);
    rb->SimpleString(ok);
    return;
  }
  lua_pop(L, 1);
  if (Field(L, "double") == LUA_TNUMBER) {
    double d = lua_tonumber(L, -1);
    lua_pop(L, 1);
    rb->Double(d);
    return;
  }
  lua_pop(L, 1);
  if (Field(L, "big_number") == LUA_TSTRING) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    std::string big = NoNewlines(std::string(s, len));
    lua_pop(L, 1);
    if (rb->resp() >= 3) {
      rb->Raw("(" + big + "\r\n");
    } else {
      rb->Bulk(big);
    }
    return;
  }
  lua_pop(L, 1);
  if (Field(L, "verbatim_string") == LUA_TTABLE) {
    if (Field(L, "format") == LUA_TSTRING) {
      std::string fmt = lua_tostring(L, -1);
      lua_pop(L, 1);
      if (Field(L, "string") == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        std::string str(s, len);
        lua_pop(L, 2);
        rb->Verbatim(str, fmt);
        return;
      }
      lua_pop(L, 1);
    } else {
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  if (Field(L, "map") == LUA_TTABLE) {
    int64_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      ++n;
    }
    rb->MapHeader(n);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      WriteReply(L, script_resp, rb);  // key
      WriteReply(L, script_resp, rb);  // value
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (Field(L, "set") == LUA_TTABLE) {
    int64_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      ++n;
    }
    rb->SetHeader(n);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      WriteReply(L, script_resp, rb);
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  int64_t n = 0;
  for (;;) {
    lua_rawgeti(L, -1, static_cast<int>(n + 1));
    bool nil = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (nil) break;
    ++n;
  }
  // Redis reads elements with lua_gettable (metamethods apply); plain tables are the rule.
  rb->ArrayHeader(n);
  for (int64_t j = 1; j <= n; ++j) {
    lua_pushnumber(L, static_cast<lua_Number>(j));
    lua_gettable(L, -2);
    WriteReply(L, script_resp, rb);
  }
}

}  // namespace

void PushReply(lua_State* L, std::string_view reply) {
  RespReader r(reply);
  r.Read(L);
}

void WriteReply(lua_State* L, int script_resp, ReplyBuilder* rb) {
  if (!lua_checkstack(L, 4)) {
    rb->Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      rb->Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          rb->Integer(1);
        } else {
          rb->Null();
        }
      } else {
        rb->Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER:
      rb->Integer(static_cast<int64_t>(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      WriteTable(L, script_resp, rb);
      break;
    default:
      rb->Null();
  }
  lua_pop(L, 1);
}

}  // namespace kora::lua::detail
