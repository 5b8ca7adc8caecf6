#include "embed/resp_reader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

namespace kora::embed {
namespace {

constexpr int kMaxDepth = 64;

// The line at the start of `in` up to "\r\n" (exclusive); npos-free: returns false if none.
bool Line(std::string_view in, std::string_view* line, size_t* used) {
  size_t e = in.find("\r\n");
  if (e == std::string_view::npos) return false;
  *line = in.substr(0, e);
  *used = e + 2;
  return true;
}

bool ParseI64(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  bool neg = s[0] == '-';
  size_t i = neg ? 1 : 0;
  if (i == s.size()) return false;
  uint64_t acc = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (acc > (UINT64_MAX - d) / 10) return false;
    acc = acc * 10 + d;
  }
  if (neg) {
    if (acc > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *v = static_cast<int64_t>(0 - acc);
  } else {
    if (acc > static_cast<uint64_t>(INT64_MAX)) return false;
    *v = static_cast<int64_t>(acc);
  }
  return true;
}

// A length-prefixed payload: "<len>\r\n<payload>\r\n" after the type byte.
bool Blob(std::string_view in, std::string_view* payload, size_t* used) {
  std::string_view line;
  size_t n;
  int64_t len;
  if (!Line(in, &line, &n) || !ParseI64(line, &len) || len < 0) return false;
  auto ulen = static_cast<uint64_t>(len);
  if (in.size() - n < ulen + 2 || in.substr(n + ulen, 2) != "\r\n") return false;
  *payload = in.substr(n, ulen);
  *used = n + ulen + 2;
  return true;
}

size_t Decode(std::string_view in, Reply* out, int depth) {
  if (in.empty() || depth > kMaxDepth) return 0;
  char tag = in[0];
  std::string_view rest = in.substr(1);
  std::string_view line, payload;
  size_t n = 0;
  switch (tag) {
    case '+':
    case '-':
    case '(':
      if (!Line(rest, &line, &n)) return 0;
      *out = tag == '+'   ? Reply::Status(std::string(line))
             : tag == '-' ? Reply::Error(std::string(line))
                          : Reply::BigNum(std::string(line));
      return 1 + n;
    case ':': {
      int64_t v;
      if (!Line(rest, &line, &n) || !ParseI64(line, &v)) return 0;
      *out = Reply::Integer(v);
      return 1 + n;
    }
    case ',': {
      if (!Line(rest, &line, &n) || line.empty()) return 0;
      std::string text(line);
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return 0;
      *out = Reply::Double(d, std::move(text));
      return 1 + n;
    }
    case '#':
      if (!Line(rest, &line, &n) || (line != "t" && line != "f")) return 0;
      *out = Reply::Bool(line == "t");
      return 1 + n;
    case '_':
      if (!Line(rest, &line, &n) || !line.empty()) return 0;
      *out = Reply::Nil();
      return 1 + n;
    case '$':
    case '!':
    case '=': {
      if (rest.substr(0, 4) == "-1\r\n") {  // RESP2 null bulk
        *out = Reply::Nil();
        return 5;
      }
      if (!Blob(rest, &payload, &n)) return 0;
      if (tag == '$') {
        *out = Reply::String(std::string(payload));
      } else if (tag == '!') {
        *out = Reply::Error(std::string(payload));
      } else {
        if (payload.size() < 4 || payload[3] != ':') return 0;
        *out = Reply::Verbatim(std::string(payload.substr(4)), std::string(payload.substr(0, 3)));
      }
      return 1 + n;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      int64_t count;
      if (!Line(rest, &line, &n) || !ParseI64(line, &count)) return 0;
      size_t used = 1 + n;
      if (count < 0) {  // RESP2 null array
        if (tag != '*' || count != -1) return 0;
        *out = Reply::Nil();
        return used;
      }
      // Never trust a count beyond what the bytes can hold (each element takes >= 3 bytes).
      if (static_cast<uint64_t>(count) > in.size() / 3) return 0;
      if (tag == '%' || tag == '|') {
        std::vector<std::pair<Reply, Reply>> entries(static_cast<size_t>(count));
        for (auto& [k, v] : entries) {
          size_t a = Decode(in.substr(used), &k, depth + 1);
          if (a == 0) return 0;
          used += a;
          size_t b = Decode(in.substr(used), &v, depth + 1);
          if (b == 0) return 0;
          used += b;
        }
        if (tag == '|') {  // an attribute: metadata before the real reply, dropped
          size_t r = Decode(in.substr(used), out, depth + 1);
          return r == 0 ? 0 : used + r;
        }
        *out = Reply::Map(std::move(entries));
        return used;
      }
      std::vector<Reply> elems(static_cast<size_t>(count));
      for (auto& e : elems) {
        size_t a = Decode(in.substr(used), &e, depth + 1);
        if (a == 0) return 0;
        used += a;
      }
      Reply::Kind kind = tag == '*'   ? Reply::Kind::kArray
                         : tag == '~' ? Reply::Kind::kSet
                                      : Reply::Kind::kPush;
      *out = Reply::Array(std::move(elems), kind);
      return used;
    }
    default:
      return 0;
  }
}

}  // namespace

size_t DecodeReply(std::string_view in, Reply* out) { return Decode(in, out, 0); }

Status ErrorStatus(std::string_view text) {
  if (text.substr(0, 10) == "WRONGTYPE ") return Status(StatusCode::kWrongType, text);
  return Status(StatusCode::kCommandError, text);
}

Status ErrorOf(std::string_view in) {
  if (in.empty() || in[0] != '-') return Status::OK();
  size_t e = in.find("\r\n");
  return ErrorStatus(in.substr(1, e == std::string_view::npos ? in.size() - 1 : e - 1));
}

Status Unexpected(std::string_view in) {
  Status err = ErrorOf(in);
  if (!err.ok()) return err;
  std::string shown(in.substr(0, 64));
  for (char& c : shown) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return Status::Internal("unexpected reply: " + shown);
}

Status DecodeOk(std::string_view in) {
  if (!in.empty() && in[0] == '+') return Status::OK();
  return Unexpected(in);
}

Result<int64_t> DecodeInteger(std::string_view in) {
  std::string_view line;
  size_t n;
  int64_t v;
  if (!in.empty() && in[0] == ':' && Line(in.substr(1), &line, &n) && ParseI64(line, &v)) {
    return v;
  }
  if (in.size() >= 2 && in[0] == '#') return static_cast<int64_t>(in[1] == 't');
  return Unexpected(in);
}

Result<std::optional<std::string>> DecodeBulk(std::string_view in) {
  if (!in.empty()) {
    if (in[0] == '$') {
      std::string_view payload;
      size_t n;
      if (Blob(in.substr(1), &payload, &n)) return std::optional<std::string>(std::string(payload));
      if (in.substr(1, 4) == "-1\r\n") return std::optional<std::string>();
    } else if (in[0] == '_') {
      return std::optional<std::string>();
    }
  }
  return Unexpected(in);
}

namespace {

template <class T>
bool StringArray(std::string_view in, std::vector<T>* out) {
  out->clear();
  if (in.empty()) return false;
  if (in.substr(0, 5) == "*-1\r\n" || in.substr(0, 3) == "_\r\n") return true;
  if (in[0] != '*' && in[0] != '~') return false;
  std::string_view line;
  size_t n;
  int64_t count;
  if (!Line(in.substr(1), &line, &n) || !ParseI64(line, &count) || count < 0 ||
      static_cast<uint64_t>(count) > in.size() / 3) {
    return false;
  }
  size_t pos = 1 + n;
  out->reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    std::string_view rest = in.substr(pos);
    if (rest.empty()) return false;
    if (rest[0] == '$') {
      std::string_view payload;
      if (rest.substr(1, 4) == "-1\r\n") {
        if constexpr (std::is_same_v<T, std::string>) return false;
        out->emplace_back();
        pos += 5;
        continue;
      }
      if (!Blob(rest.substr(1), &payload, &n)) return false;
      out->emplace_back(std::string(payload));
      pos += 1 + n;
    } else if (rest.substr(0, 3) == "_\r\n") {
      if constexpr (std::is_same_v<T, std::string>) return false;
      out->emplace_back();
      pos += 3;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool DecodeStringArray(std::string_view in, std::vector<std::string>* out) {
  return StringArray(in, out);
}

bool DecodeStringArray(std::string_view in, std::vector<std::optional<std::string>>* out) {
  return StringArray(in, out);
}

}  // namespace kora::embed
