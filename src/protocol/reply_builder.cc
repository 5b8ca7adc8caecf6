#include "protocol/reply_builder.h"

#include <cmath>
#include <cstdio>

#include "base/strutil.h"

namespace kora {

void ReplyBuilder::Header(char tag, int64_t n) {
  out_->push_back(tag);
  AppendInt64(out_, n);
  out_->append("\r\n", 2);
}

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Error(std::string_view msg) {
  out_->push_back('-');
  // Error lines cannot carry newlines.
  for (char c : msg) out_->push_back((c == '\r' || c == '\n') ? ' ' : c);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Integer(int64_t v) { Header(':', v); }

void ReplyBuilder::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Null() {
  if (resp_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyBuilder::NullArray() {
  if (resp_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyBuilder::ArrayHeader(int64_t n) { Header('*', n); }
void ReplyBuilder::MapHeader(int64_t pairs) {
  resp_ >= 3 ? Header('%', pairs) : Header('*', pairs * 2);
}
void ReplyBuilder::SetHeader(int64_t n) { resp_ >= 3 ? Header('~', n) : Header('*', n); }
void ReplyBuilder::PushHeader(int64_t n) { resp_ >= 3 ? Header('>', n) : Header('*', n); }

void ReplyBuilder::Double(double d) {
  if (resp_ >= 3) {
    out_->push_back(',');
    out_->append(DoubleToString(d));
    out_->append("\r\n", 2);
  } else {
    Bulk(DoubleToString(d));
  }
}

void ReplyBuilder::Bool(bool b) {
  if (resp_ >= 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  } else {
    Integer(b ? 1 : 0);
  }
}

void ReplyBuilder::Verbatim(std::string_view s, std::string_view fmt) {
  if (resp_ >= 3) {
    Header('=', static_cast<int64_t>(s.size() + 4));
    out_->append(fmt);
    out_->push_back(':');
    out_->append(s);
    out_->append("\r\n", 2);
  } else {
    Bulk(s);
  }
}

}  // namespace kora
