// Appends RESP2 or RESP3 replies to a byte buffer.
//
// Cheap to construct: it borrows the destination string. The protocol version decides how the
// RESP3-only types (null, map, set, double, boolean, verbatim, push) are written in RESP2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kora {

class ReplyBuilder {
 public:
  ReplyBuilder(std::string* out, int resp) : out_(out), resp_(resp) {}

  int resp() const { return resp_; }
  void set_resp(int resp) { resp_ = resp; }
  std::string* buffer() { return out_; }
  void set_buffer(std::string* out) { out_ = out; }

  void SimpleString(std::string_view s);
  void Ok() { out_->append("+OK\r\n", 5); }
  // `msg` is the full error text without the leading '-', e.g. "ERR syntax error".
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();           // $-1 in RESP2, _ in RESP3
  void NullArray();      // *-1 in RESP2, _ in RESP3
  void ArrayHeader(int64_t n);
  void MapHeader(int64_t pairs);  // RESP2: flat array of 2*pairs
  void SetHeader(int64_t n);
  void PushHeader(int64_t n);
  void Double(double d);          // RESP2: bulk string "%.17g"
  void Bool(bool b);              // RESP2: :1 / :0
  void Verbatim(std::string_view s, std::string_view fmt = "txt");
  void BulkOrNull(const std::string* s) { s ? Bulk(*s) : Null(); }
  void EmptyArray() { out_->append("*0\r\n", 4); }
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  void Header(char tag, int64_t n);
  std::string* out_;
  int resp_;
};

}  // namespace kora
