#include "base/logging.h"

#include <cstdio>
#include <ctime>
#include <sys/time.h>

namespace kora {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
}

LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }
void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  static constexpr std::pair<std::string_view, LogLevel> kNames[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"error", LogLevel::kError}};
  for (auto& [n, l] : kNames) {
    if (n == name) {
      *out = l;
      return true;
    }
  }
  return false;
}

void LogLine(LogLevel level, std::string_view msg) {
  static constexpr const char* kTags[] = {"T", "D", "I", "W", "E", "-"};
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  localtime_r(&tv.tv_sec, &t);
  char ts[32];
  strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S", &t);
  std::fprintf(stderr, "%s.%03d %s %.*s\n", ts, static_cast<int>(tv.tv_usec / 1000),
               kTags[static_cast<int>(level)], static_cast<int>(msg.size()), msg.data());
}

}  // namespace kora
