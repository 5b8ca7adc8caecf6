// libFuzzer target: the client request parser (multibulk and inline), fed in random chunks as
// a socket would deliver them. Invariants: no crash, no over-read, views stay inside the
// buffer, consumed never exceeds the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/request_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  kora::RequestParser parser;
  kora::ParserLimits limits;
  limits.max_bulk_len = 1 << 20;
  limits.authenticated = (data[0] & 1) != 0;
  size_t chunk = 1 + data[0] % 64;
  std::string buf;
  std::vector<std::string_view> args;
  size_t fed = 1;
  while (fed < size) {
    size_t n = std::min(chunk, size - fed);
    buf.append(reinterpret_cast<const char*>(data + fed), n);
    fed += n;
    while (!buf.empty()) {
      size_t consumed = 0;
      auto st = parser.Parse(buf, limits, &consumed, &args);
      if (st == kora::RequestParser::State::kNeedMore) break;
      if (st == kora::RequestParser::State::kError) return 0;
      if (consumed == 0 || consumed > buf.size()) __builtin_trap();
      for (auto a : args) {
        bool inside = a.data() >= buf.data() && a.data() + a.size() <= buf.data() + buf.size();
        if (!inside && st == kora::RequestParser::State::kCommand && buf[0] == '*') __builtin_trap();
      }
      buf.erase(0, consumed);
    }
  }
  return 0;
}
