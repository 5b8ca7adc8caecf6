// Helpers shared by the string and bitmap families: reading string values without
// allocating, Redis's argument parsing rules and the proto-max-bulk-len checks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/strutil.h"
#include "commands/family_util.h"
#include "commands/service.h"

namespace kora {

// Stack room for the digits of an integer-encoded string (Redis's LONG_STR_SIZE).
struct IntDigits {
  char buf[24];
  std::string_view Format(int64_t v) {
    char* end = buf + sizeof(buf);
    char* p = end;
    uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    do {
      *--p = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return std::string_view(p, end - p);
  }
};

// The bytes of a string value; an integer is formatted into `digits` (no allocation).
inline std::string_view StrBytes(const Value& v, IntDigits* digits) {
  if (v.is_int()) return digits->Format(v.int_value());
  return v.StrView(nullptr);  // never touches the scratch for non-integers
}

inline size_t StrLength(const Value& v) {
  IntDigits d;
  return StrBytes(v, &d).size();
}

// Redis's getLongLongFromObjectOrReply on an argument: string2ll or an error reply.
inline bool ParseIntOrReply(std::string_view s, int64_t* out, ReplyBuilder* rb,
                            std::string_view error = err::kNotInt) {
  if (ParseInt64(s, out)) return true;
  rb->Error(error);
  return false;
}

// The current proto-max-bulk-len. Its minimum is 1 MB, so sizes up to that never need it.
inline constexpr int64_t kMinProtoMaxBulkLen = 1024 * 1024;
inline int64_t ProtoMaxBulkLen(CmdCtx& ctx) {
  return ctx.svc->config().IntValue("proto-max-bulk-len");
}

// Redis's checkStringLength: true (and an error reply) when size + append exceeds the limit.
inline bool StringTooLong(CmdCtx& ctx, uint64_t size, uint64_t append) {
  uint64_t total = size + append;
  if (total < size) total = UINT64_MAX;
  if (total <= static_cast<uint64_t>(kMinProtoMaxBulkLen)) return false;
  if (total <= static_cast<uint64_t>(ProtoMaxBulkLen(ctx))) return false;
  ctx.rb->Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  return true;
}

// The keys of a multi-key command grouped by shard, owned so the plan can travel to the
// shards (shared as const). `values` is parallel to `keys` for MSET-like commands.
struct ShardPlan {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::vector<int> shards;                     // distinct shards, in first-appearance order
  std::vector<std::vector<uint32_t>> members;  // per entry of `shards`: indexes into keys

  // Indexes of the keys that live on `shard` (one of `shards`).
  const std::vector<uint32_t>& Mine(int shard) const;
};

// Groups args[first], args[first + step], ... by shard; with `with_values` the argument after
// each key is its value.
std::shared_ptr<const ShardPlan> PlanKeys(CmdCtx& ctx, CmdArgs args, size_t first, size_t step,
                                          bool with_values);

// A string value read on its shard for a coordinator.
struct FetchedString {
  enum State : uint8_t { kMissing, kString, kWrongType };
  State state = kMissing;
  std::string bytes;
};

// Reads every key of `plan` on its shard (counting hits and misses like lookupKeyRead), then
// runs `then` on the calling worker with the results in key order.
void FetchStrings(CmdCtx& ctx, std::shared_ptr<const ShardPlan> plan,
                  absl::AnyInvocable<void(std::vector<FetchedString>&)> then);

// Row builders of the string family's files; RegisterStringFamily joins them.
std::vector<CommandSpec> StringSetCommands();     // string_family.cc
std::vector<CommandSpec> StringNumberCommands();  // string_number.cc
std::vector<CommandSpec> StringRangeCommands();   // string_range.cc
std::vector<CommandSpec> StringMultiCommands();   // string_multi.cc
std::vector<CommandSpec> StringLcsCommands();     // string_lcs.cc

}  // namespace kora
