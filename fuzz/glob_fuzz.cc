// libFuzzer target: glob pattern matching (KEYS, SCAN MATCH, CONFIG GET). Input is split into
// pattern and subject at the first NUL. Invariants: no crash, bounded time on adversarial
// patterns.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/glob.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = in.find('\0');
  std::string_view pattern = in.substr(0, cut);
  std::string_view subject = cut == std::string_view::npos ? in : in.substr(cut + 1);
  kora::GlobMatch(pattern, subject, false);
  kora::GlobMatch(pattern, subject, true);
  return 0;
}
