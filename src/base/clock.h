// Wall-clock and monotonic time helpers.
#pragma once

#include <cstdint>
#include <ctime>

namespace kora {

inline int64_t NowUnixMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

inline int64_t NowUnixUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

inline int64_t MonotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The wall-clock time the commands of one pipelined batch share (set by the connection around
// the batch, refreshed after any command not flagged fast; 0 outside a batch), so a pipeline
// of GETs reads the clock once, not once per command.
inline thread_local int64_t batch_now_ms = 0;
inline int64_t CommandNowMs() { return batch_now_ms != 0 ? batch_now_ms : NowUnixMs(); }

// Durations on the command path (command statistics, latency histograms): the CPU's
// time-stamp counter when it is invariant (one instruction instead of a vDSO call), scaled to
// microseconds with a rate measured at start-up; the monotonic clock elsewhere. Only the
// difference of two readings is meaningful.
struct TscScale {
  bool usable = false;
  double us_per_tick = 0;
  static const TscScale& Get();  // measured once (about 2 ms), thread-safe
};

#if defined(__x86_64__)
inline int64_t FastMonotonicUs() {
  static const TscScale& scale = TscScale::Get();
  if (scale.usable) return static_cast<int64_t>(static_cast<double>(__builtin_ia32_rdtsc()) *
                                                scale.us_per_tick);
  return MonotonicUs();
}
#else
inline int64_t FastMonotonicUs() { return MonotonicUs(); }
#endif

}  // namespace kora
