// Incremental parser for client requests: RESP multibulk arrays and inline commands.
//
// Owned by one connection. The connection passes the unconsumed part of its input buffer,
// which must begin at the start of the current (possibly partial) command; the buffer may grow
// or move between calls. Claimed lengths are never allocated up front: the parser only records
// offsets into data that has actually arrived. Error texts are Redis's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kora {

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;   // proto-max-bulk-len
  int64_t max_multibulk_len = INT32_MAX;         // Redis's limit for authenticated clients
  size_t max_inline_len = 64 * 1024;             // PROTO_INLINE_MAX_SIZE
  bool authenticated = true;                     // unauthenticated clients get tighter limits
};

class RequestParser {
 public:
  enum class State { kCommand, kNeedMore, kEmpty, kError };

  // Parses at most one command from `buf`. On kCommand, `args` holds views valid until the
  // next call or until `buf` changes, and `*consumed` is the size of the command. kEmpty means
  // an empty command (blank inline line, *0 or *-1) of `*consumed` bytes was skipped. On kError
  // error() is the text for "-ERR <text>" and the connection must be closed after replying.
  State Parse(std::string_view buf, const ParserLimits& limits, size_t* consumed,
              std::vector<std::string_view>* args);

  const std::string& error() const { return error_; }
  // Bytes the parser still needs before the current bulk completes (0 if unknown); lets the
  // connection size its next read for large values.
  int64_t pending_bulk() const { return bulk_len_ >= 0 ? bulk_len_ + 2 : 0; }
  void Reset();

 private:
  State ParseInline(std::string_view buf, const ParserLimits& limits, size_t* consumed,
                    std::vector<std::string_view>* args);
  State Fail(std::string msg);

  // Multibulk progress, as offsets from the start of the command.
  size_t pos_ = 0;
  int64_t mb_remaining_ = -1;  // -1: header not read yet
  int64_t bulk_len_ = -1;      // -1: reading a bulk header
  std::vector<std::pair<size_t, size_t>> offsets_;
  std::vector<std::string> inline_args_;
  std::string error_;
};

// Splits an inline command line with Redis's quoting rules ("..." with escapes, '...').
// Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace kora
