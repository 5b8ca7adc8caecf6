#include "base/clock.h"

#include <fstream>
#include <string>

namespace kora {
namespace {

// The counter can stand in for a clock only when it ticks at a constant rate through
// frequency changes and sleep states (Linux reports both flags).
bool InvariantTsc() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      return line.find(" constant_tsc") != std::string::npos &&
             line.find(" nonstop_tsc") != std::string::npos;
    }
  }
  return false;
}

TscScale Measure() {
  TscScale s;
#if defined(__x86_64__)
  if (!InvariantTsc()) return s;
  int64_t t0 = MonotonicUs();
  uint64_t c0 = __builtin_ia32_rdtsc();
  int64_t t1 = t0;
  while (t1 - t0 < 2000) t1 = MonotonicUs();
  uint64_t c1 = __builtin_ia32_rdtsc();
  if (c1 <= c0) return s;
  s.us_per_tick = static_cast<double>(t1 - t0) / static_cast<double>(c1 - c0);
  s.usable = true;
#endif
  return s;
}

}  // namespace

const TscScale& TscScale::Get() {
  static const TscScale scale = Measure();
  return scale;
}

}  // namespace kora
