// Helpers shared by the hash and set families: encoding thresholds from CONFIG, typed lookups
// with Redis's hit/miss accounting, HSCAN/SSCAN argument parsing, and small reply helpers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/family_util.h"

namespace kora {

// Redis 7.0's encoding thresholds (hash-max-listpack-*, set-max-intset-entries).
struct CollectionLimits {
  size_t hash_max_listpack_entries = 512;
  size_t hash_max_listpack_value = 64;
  size_t set_max_intset_entries = 512;
};

// The current thresholds. Cached per thread and re-read only after a CONFIG change.
const CollectionLimits& GetCollectionLimits(CmdCtx& ctx);

// Redis's lookupKeyRead + checkType: counts a keyspace hit or miss. Returns nullptr when the
// key is missing, or (after replying WRONGTYPE and setting *wrong_type) of another type.
KeyEntry* FindForRead(CmdCtx& ctx, std::string_view key, ValueType type, bool* wrong_type);

// "ERR wrong number of arguments for '<cmd>' command".
std::string ArityError(const CmdCtx& ctx);

// Redis's parseScanCursorOrReply (strtoul over the C string): false on a bad cursor.
bool ParseScanCursor(std::string_view s, uint64_t* cursor);
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";

// HSCAN/SSCAN options after the cursor: MATCH pattern, COUNT n.
struct ScanOptions {
  std::string_view pattern;
  bool use_pattern = false;  // false for no MATCH or MATCH "*"
  int64_t count = 10;
};
// Parses args[start..]; returns "" or the error text.
std::string ParseScanOptions(CmdArgs args, size_t start, ScanOptions* out);
bool ScanMatches(const ScanOptions& o, std::string_view s);

// Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) for the count of SRANDMEMBER and
// HRANDFIELD: "" or the error text.
std::string ParseRandCount(std::string_view s, int64_t* out);

// Negative counts of SRANDMEMBER/HRANDFIELD repeat elements, so the reply size is unbounded;
// Redis would try and exhaust its memory. Kora refuses counts beyond this with the error below.
inline constexpr uint64_t kMaxRandomRepeats = uint64_t{1} << 24;
inline constexpr std::string_view kRandomCountTooLarge = "ERR value is out of range";

// Replies from a coordinator (which has no ReplyBuilder of its own).
void ReplyErrorLater(CmdCtx& ctx, std::string_view msg);

}  // namespace kora
