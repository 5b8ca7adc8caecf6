// The slow log (SLOWLOG): commands that ran at least slowlog-log-slower-than µs, newest first,
// at most slowlog-max-len entries. Each worker keeps the entries of its own clients (no lock);
// ids come from one counter shared by the workers, so merging the workers' logs by id gives
// Redis's single log. Argument truncation follows Redis: at most 32 arguments (the last one
// says "... (N more arguments)"), each at most 128 bytes ("... (N more bytes)").
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kora::observe {

struct SlowlogEntry {
  uint64_t id = 0;
  int64_t time_sec = 0;  // Unix time when logged
  int64_t duration_us = 0;
  std::vector<std::string> args;
  std::string peer;  // "ip:port"
  std::string name;  // client name
};

// Copies `args` with Redis's slow-log truncation.
std::vector<std::string> SlowlogArgs(std::span<const std::string_view> args);

class Slowlog {
 public:
  // Adds an entry at the head and trims to max_len (as Redis does on each push).
  void Push(SlowlogEntry e, size_t max_len);
  void Reset() { entries_.clear(); }
  // Drops the entries whose id is below `id` (those logged before a given moment).
  void ResetBefore(uint64_t id) {
    while (!entries_.empty() && entries_.back().id < id) entries_.pop_back();
  }
  // Newest first.
  const std::deque<SlowlogEntry>& entries() const { return entries_; }

 private:
  std::deque<SlowlogEntry> entries_;
};

}  // namespace kora::observe
