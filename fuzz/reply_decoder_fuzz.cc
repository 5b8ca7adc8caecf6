// libFuzzer target: the embedded API's RESP2/RESP3 reply decoder (src/embed/resp_reader.h),
// every entry point on the same bytes. Invariants: no crash, no over-read, DecodeReply never
// claims more bytes than it was given.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "embed/resp_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy exactly as long as the input, so that ASan sees any read past its end.
  std::string buf(reinterpret_cast<const char*>(data), size);
  std::string_view in(buf);
  kora::Reply r;
  size_t used = kora::embed::DecodeReply(in, &r);
  if (used > in.size()) __builtin_trap();
  (void)kora::embed::DecodeOk(in);
  (void)kora::embed::DecodeInteger(in);
  (void)kora::embed::DecodeBulk(in);
  std::vector<std::string> strings;
  (void)kora::embed::DecodeStringArray(in, &strings);
  std::vector<std::optional<std::string>> optionals;
  (void)kora::embed::DecodeStringArray(in, &optionals);
  (void)kora::embed::ErrorOf(in);
  return 0;
}
