// kora::Reply: construction helpers, redis-cli style rendering and equality.
#include "kora/reply.h"

#include <cmath>
#include <cstdio>

namespace kora {

std::string_view KindName(Reply::Kind kind) {
  switch (kind) {
    case Reply::Kind::kNil: return "nil";
    case Reply::Kind::kString: return "string";
    case Reply::Kind::kStatus: return "status";
    case Reply::Kind::kError: return "error";
    case Reply::Kind::kInteger: return "integer";
    case Reply::Kind::kDouble: return "double";
    case Reply::Kind::kBool: return "bool";
    case Reply::Kind::kBigNum: return "bignum";
    case Reply::Kind::kVerbatim: return "verbatim";
    case Reply::Kind::kArray: return "array";
    case Reply::Kind::kSet: return "set";
    case Reply::Kind::kPush: return "push";
    case Reply::Kind::kMap: return "map";
  }
  return "?";
}

Reply Reply::Integer(int64_t v) {
  Reply r;
  r.kind_ = Kind::kInteger;
  r.int_ = v;
  return r;
}

Reply Reply::Double(double v, std::string text) {
  Reply r;
  r.kind_ = Kind::kDouble;
  r.dbl_ = v;
  if (text.empty()) {
    if (std::isinf(v)) {
      text = v > 0 ? "inf" : "-inf";
    } else if (std::isnan(v)) {
      text = "nan";
    } else {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", v);
      text = buf;
    }
  }
  r.str_ = std::move(text);
  return r;
}

Reply Reply::Bool(bool v) {
  Reply r;
  r.kind_ = Kind::kBool;
  r.int_ = v ? 1 : 0;
  return r;
}

Reply Reply::Verbatim(std::string text, std::string format) {
  Reply r(Kind::kVerbatim, std::move(text));
  r.format_ = std::move(format);
  return r;
}

Reply Reply::Array(std::vector<Reply> elements, Kind kind) {
  Reply r;
  r.kind_ = kind;
  r.elements_ = std::move(elements);
  return r;
}

Reply Reply::Map(std::vector<std::pair<Reply, Reply>> entries) {
  Reply r;
  r.kind_ = Kind::kMap;
  r.entries_ = std::move(entries);
  return r;
}

bool operator==(const Reply& a, const Reply& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Reply::Kind::kNil: return true;
    case Reply::Kind::kInteger:
    case Reply::Kind::kBool: return a.int_ == b.int_;
    case Reply::Kind::kDouble:
      return a.dbl_ == b.dbl_ || (std::isnan(a.dbl_) && std::isnan(b.dbl_));
    case Reply::Kind::kVerbatim: return a.str_ == b.str_ && a.format_ == b.format_;
    case Reply::Kind::kArray:
    case Reply::Kind::kSet:
    case Reply::Kind::kPush: return a.elements_ == b.elements_;
    case Reply::Kind::kMap: return a.entries_ == b.entries_;
    default: return a.str_ == b.str_;
  }
}

void Reply::Render(std::string* out, int indent) const {
  auto quoted = [out](const std::string& s) {
    out->push_back('"');
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out->push_back('\\');
        out->push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out->append("\\n");
      } else if (c == '\r') {
        out->append("\\r");
      } else if (c < 0x20 || c >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        out->append(buf);
      } else {
        out->push_back(static_cast<char>(c));
      }
    }
    out->push_back('"');
  };
  // Children of element i are indented by the width of "N) ".
  auto items = [&](size_t n, auto&& render_item) {
    if (n == 0) {
      out->append(kind_ == Kind::kMap ? "(empty hash)" : "(empty array)");
      return;
    }
    int width = static_cast<int>(std::to_string(n).size());
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) {
        out->push_back('\n');
        out->append(static_cast<size_t>(indent), ' ');
      }
      std::string num = std::to_string(i + 1);
      out->append(static_cast<size_t>(width) - num.size(), ' ');
      out->append(num);
      out->append(kind_ == Kind::kSet ? "~ " : kind_ == Kind::kMap ? "# " : ") ");
      render_item(i, indent + width + 2);
    }
  };
  switch (kind_) {
    case Kind::kNil: out->append("(nil)"); break;
    case Kind::kString: quoted(str_); break;
    case Kind::kStatus:
    case Kind::kVerbatim: out->append(str_); break;
    case Kind::kError: out->append("(error) " + str_); break;
    case Kind::kInteger: out->append("(integer) " + std::to_string(int_)); break;
    case Kind::kDouble: out->append("(double) " + str_); break;
    case Kind::kBool: out->append(int_ ? "(true)" : "(false)"); break;
    case Kind::kBigNum: out->append("(big number) " + str_); break;
    case Kind::kArray:
    case Kind::kSet:
    case Kind::kPush:
      items(elements_.size(), [&](size_t i, int ind) { elements_[i].Render(out, ind); });
      break;
    case Kind::kMap:
      items(entries_.size(), [&](size_t i, int ind) {
        entries_[i].first.Render(out, ind);
        out->append(" => ");
        entries_[i].second.Render(out, ind);
      });
      break;
  }
}

std::string Reply::ToString() const {
  std::string out;
  Render(&out, 0);
  return out;
}

}  // namespace kora
