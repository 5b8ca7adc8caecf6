#include "observe/slowlog.h"

namespace kora::observe {

constexpr size_t kSlowlogMaxArgc = 32;
constexpr size_t kSlowlogMaxArgLen = 128;

std::vector<std::string> SlowlogArgs(std::span<const std::string_view> args) {
  size_t argc = args.size();
  size_t n = argc < kSlowlogMaxArgc ? argc : kSlowlogMaxArgc;
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t j = 0; j < n; ++j) {
    if (n != argc && j == n - 1) {
      out.push_back("... (" + std::to_string(argc - n + 1) + " more arguments)");
    } else if (args[j].size() > kSlowlogMaxArgLen) {
      std::string s(args[j].substr(0, kSlowlogMaxArgLen));
      s += "... (" + std::to_string(args[j].size() - kSlowlogMaxArgLen) + " more bytes)";
      out.push_back(std::move(s));
    } else {
      out.emplace_back(args[j]);
    }
  }
  return out;
}

void Slowlog::Push(SlowlogEntry e, size_t max_len) {
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

}  // namespace kora::observe
