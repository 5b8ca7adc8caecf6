// kora::Reply: one command reply as a value, shaped like RESP3.
//
// Database::Execute returns these. A reply owns its data (strings, nested elements) and is
// cheap to move; it is a plain value, safe to hand to any thread. Error replies at the top
// level never appear here: Execute turns them into an error Result. Nested errors (inside an
// array) keep kind kError.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kora/export.h"

namespace kora {

class KORA_EXPORT Reply {
 public:
  enum class Kind : uint8_t {
    kNil,       // RESP3 null (a missing key, an empty pop)
    kString,    // bulk string
    kStatus,    // simple string, e.g. OK or PONG
    kError,     // error (only nested, see above)
    kInteger,
    kDouble,    // str() holds the textual form Redis sent, e.g. "1.5" or "inf"
    kBool,
    kBigNum,    // str() holds the digits
    kVerbatim,  // str() holds the text, format() e.g. "txt"
    kArray,
    kSet,
    kPush,
    kMap,       // entries()
  };

  Reply() = default;  // nil
  static Reply Nil() { return Reply(); }
  static Reply String(std::string s) { return Reply(Kind::kString, std::move(s)); }
  static Reply Status(std::string s) { return Reply(Kind::kStatus, std::move(s)); }
  static Reply Error(std::string s) { return Reply(Kind::kError, std::move(s)); }
  static Reply Integer(int64_t v);
  static Reply Double(double v, std::string text = {});
  static Reply Bool(bool v);
  static Reply BigNum(std::string digits) { return Reply(Kind::kBigNum, std::move(digits)); }
  static Reply Verbatim(std::string text, std::string format = "txt");
  static Reply Array(std::vector<Reply> elements, Kind kind = Kind::kArray);
  static Reply Map(std::vector<std::pair<Reply, Reply>> entries);

  Kind kind() const { return kind_; }
  bool is_nil() const { return kind_ == Kind::kNil; }
  bool is_error() const { return kind_ == Kind::kError; }
  bool is_integer() const { return kind_ == Kind::kInteger; }
  bool is_double() const { return kind_ == Kind::kDouble; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  // String-like: kString, kStatus, kVerbatim (str() is the text).
  bool is_string() const {
    return kind_ == Kind::kString || kind_ == Kind::kStatus || kind_ == Kind::kVerbatim;
  }
  // Sequence-like: kArray, kSet, kPush (elements()).
  bool is_array() const {
    return kind_ == Kind::kArray || kind_ == Kind::kSet || kind_ == Kind::kPush;
  }
  bool is_map() const { return kind_ == Kind::kMap; }

  // The text of a string, status, error, verbatim, big number or double; "" otherwise.
  const std::string& str() const { return str_; }
  std::string& str() { return str_; }  // e.g. to move the text out
  std::string_view format() const { return format_; }  // verbatim format ("txt", "mkd")
  int64_t integer() const { return int_; }   // kInteger; kBool gives 0/1
  double dbl() const { return dbl_; }        // kDouble
  bool boolean() const { return int_ != 0; }  // kBool (or a non-zero integer)
  const std::vector<Reply>& elements() const { return elements_; }
  std::vector<Reply>& elements() { return elements_; }
  const std::vector<std::pair<Reply, Reply>>& entries() const { return entries_; }
  std::vector<std::pair<Reply, Reply>>& entries() { return entries_; }
  // Elements of a sequence, or entries of a map.
  size_t size() const { return kind_ == Kind::kMap ? entries_.size() : elements_.size(); }
  const Reply& operator[](size_t i) const { return elements_[i]; }

  // redis-cli style rendering for logs and tests, e.g. 1) "a"\n2) (integer) 3.
  std::string ToString() const;
  friend bool operator==(const Reply& a, const Reply& b);

 private:
  Reply(Kind kind, std::string s) : kind_(kind), str_(std::move(s)) {}
  void Render(std::string* out, int indent) const;

  Kind kind_ = Kind::kNil;
  int64_t int_ = 0;
  double dbl_ = 0;
  std::string str_;
  std::string format_;
  std::vector<Reply> elements_;
  std::vector<std::pair<Reply, Reply>> entries_;
};

// The name of a kind, e.g. "array".
KORA_EXPORT std::string_view KindName(Reply::Kind kind);

}  // namespace kora
