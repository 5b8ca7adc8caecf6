#include "protocol/request_parser.h"

#include <cstring>

#include "base/strutil.h"

namespace kora {
namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0, n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    bool in_dq = false, in_sq = false, done = false;
    std::string cur;
    while (!done) {
      if (in_dq) {
        if (i >= n) return false;  // unterminated quotes
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && IsHexDigit(line[i + 2]) &&
            IsHexDigit(line[i + 3])) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n': cur.push_back('\n'); break;
            case 'r': cur.push_back('\r'); break;
            case 't': cur.push_back('\t'); break;
            case 'b': cur.push_back('\b'); break;
            case 'a': cur.push_back('\a'); break;
            default: cur.push_back(line[i]); break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(c);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur.push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(c);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        char c = line[i];
        if (IsSpace(c) || c == '\0') {
          done = true;
        } else if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur.push_back(c);
        }
      }
      if (i < n) ++i;
    }
    out->push_back(std::move(cur));
  }
}

void RequestParser::Reset() {
  pos_ = 0;
  mb_remaining_ = -1;
  bulk_len_ = -1;
  offsets_.clear();
}

RequestParser::State RequestParser::Fail(std::string msg) {
  error_ = std::move(msg);
  Reset();
  return State::kError;
}

RequestParser::State RequestParser::Parse(std::string_view buf, const ParserLimits& limits,
                                          size_t* consumed, std::vector<std::string_view>* args) {
  if (buf.empty()) return State::kNeedMore;
  if (mb_remaining_ < 0 && buf[0] != '*') return ParseInline(buf, limits, consumed, args);

  if (mb_remaining_ < 0) {
    const char* nl = static_cast<const char*>(std::memchr(buf.data(), '\r', buf.size()));
    if (nl == nullptr) {
      if (buf.size() > limits.max_inline_len) return Fail("Protocol error: too big mbulk count string");
      return State::kNeedMore;
    }
    size_t line_end = nl - buf.data();
    if (line_end + 1 >= buf.size()) return State::kNeedMore;  // need the '\n'
    int64_t n = 0;
    if (!ParseInt64(buf.substr(1, line_end - 1), &n) || n > limits.max_multibulk_len) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (n > 1024 * 1024 && !limits.authenticated) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = line_end + 2;
    if (n <= 0) {
      *consumed = pos_;
      Reset();
      return State::kEmpty;
    }
    mb_remaining_ = n;
    offsets_.clear();
    offsets_.reserve(n < 1024 ? n : 1024);
  }

  while (mb_remaining_ > 0) {
    if (bulk_len_ < 0) {
      if (pos_ >= buf.size()) return State::kNeedMore;
      const char* start = buf.data() + pos_;
      const char* nl = static_cast<const char*>(std::memchr(start, '\r', buf.size() - pos_));
      if (nl == nullptr) {
        if (buf.size() - pos_ > limits.max_inline_len) {
          return Fail("Protocol error: too big bulk count string");
        }
        return State::kNeedMore;
      }
      size_t line_end = nl - buf.data();
      if (line_end + 1 >= buf.size()) return State::kNeedMore;
      if (buf[pos_] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + buf[pos_] + "'");
      }
      int64_t len = 0;
      if (!ParseInt64(buf.substr(pos_ + 1, line_end - pos_ - 1), &len) || len < 0 ||
          len > limits.max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (len > 16384 && !limits.authenticated) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = len;
      pos_ = line_end + 2;
    }
    if (buf.size() - pos_ < static_cast<size_t>(bulk_len_) + 2) return State::kNeedMore;
    offsets_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += bulk_len_ + 2;  // Redis does not verify the trailing CRLF
    bulk_len_ = -1;
    --mb_remaining_;
  }

  args->clear();
  for (auto [off, len] : offsets_) args->emplace_back(buf.data() + off, len);
  *consumed = pos_;
  pos_ = 0;
  mb_remaining_ = -1;
  offsets_.clear();
  return State::kCommand;
}

RequestParser::State RequestParser::ParseInline(std::string_view buf, const ParserLimits& limits,
                                                size_t* consumed,
                                                std::vector<std::string_view>* args) {
  const char* nl = static_cast<const char*>(std::memchr(buf.data(), '\n', buf.size()));
  if (nl == nullptr) {
    if (buf.size() > limits.max_inline_len) return Fail("Protocol error: too big inline request");
    return State::kNeedMore;
  }
  size_t line_len = nl - buf.data();
  *consumed = line_len + 1;
  std::string_view line = buf.substr(0, line_len);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!SplitInlineArgs(line, &inline_args_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  if (inline_args_.empty()) return State::kEmpty;
  args->clear();
  for (auto& a : inline_args_) args->emplace_back(a);
  return State::kCommand;
}

}  // namespace kora
