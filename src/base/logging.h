// Minimal leveled logging to stderr. The level is process-wide configuration set once at
// start-up (the server's --log-level); messages are formatted with fmt.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string_view>

namespace kora {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

LogLevel GetLogLevel();
void SetLogLevel(LogLevel level);
bool ParseLogLevel(std::string_view name, LogLevel* out);
void LogLine(LogLevel level, std::string_view msg);

template <class... Args>
void Log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogLine(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace kora

#define KORA_LOG_INFO(...) ::kora::Log(::kora::LogLevel::kInfo, __VA_ARGS__)
#define KORA_LOG_WARN(...) ::kora::Log(::kora::LogLevel::kWarn, __VA_ARGS__)
#define KORA_LOG_ERROR(...) ::kora::Log(::kora::LogLevel::kError, __VA_ARGS__)
#define KORA_LOG_DEBUG(...) ::kora::Log(::kora::LogLevel::kDebug, __VA_ARGS__)
