// Helpers shared by the stream command files: Redis's ID parsing rules and error texts, typed
// lookups, the entry reply shapes, and the wake-up of blocked readers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "core/stream_object.h"

namespace kora {

class Service;

namespace stream_err {
inline constexpr std::string_view kInvalidId =
    "ERR Invalid stream ID specified as stream command argument";
inline constexpr std::string_view kStartInterval = "ERR invalid start ID for the interval";
inline constexpr std::string_view kEndInterval = "ERR invalid end ID for the interval";
}  // namespace stream_err

// Redis's streamGenericParseIDOrReply: "<ms>[-<seq>]" (a missing sequence is `missing_seq`),
// "-" and "+" unless `strict`, and "<ms>-*" when `seq_given` is not null (it is then set to
// false for that form, true otherwise).
bool ParseStreamId(std::string_view s, StreamId* id, uint64_t missing_seq, bool strict,
                   bool* seq_given = nullptr);
// Redis's streamParseIntervalIDOrReply: a "(" prefix makes the bound exclusive (*exclude).
bool ParseIntervalId(std::string_view s, StreamId* id, bool* exclude, uint64_t missing_seq);

// A key or group name as Redis's "%s" prints it into an error: up to the first NUL byte.
std::string CStr(std::string_view s);
// "NOGROUP No such key '<args[1]>' or consumer group '<args[2]>'".
std::string NoKeyOrGroup(CmdArgs args);

// Redis's getLongLongFromObjectOrReply: false with `msg` (default: not an integer) replied.
bool ParseLongLongOrReply(CmdCtx& ctx, std::string_view s, int64_t* v,
                          std::string_view msg = {});

// The stream at `key`, or nullptr when missing. On another type replies WRONGTYPE and sets
// *wrong. With `count_stats` the lookup counts a keyspace hit or miss (lookupKeyRead).
StreamObject* FindStream(CmdCtx& ctx, std::string_view key, bool count_stats, bool* wrong);
// The current stream-node-max-bytes / -entries (cached per thread until a CONFIG change).
StreamObject::NodeLimits StreamNodeLimits(CmdCtx& ctx);

void ReplyStreamId(ReplyBuilder& rb, StreamId id);
// The entry the iterator is on: [id, [field, value, ...]].
void ReplyEntry(ReplyBuilder& rb, StreamId id, const StreamObject::Iterator& it);
// Entry `id` if it exists (an XCLAIM reply item); false if it does not.
bool ReplyEntryById(ReplyBuilder& rb, const StreamObject& s, StreamId id);

// Redis's streamReplyWithRange: an array of the entries in [start, end] (at most `count`, 0 =
// all). With a group, entries are delivered to `consumer` (see StreamObject::Deliver).
size_t ReplyRange(ReplyBuilder& rb, StreamObject& s, StreamId start, StreamId end, size_t count,
                  bool rev, StreamGroup* group = nullptr, StreamConsumer* consumer = nullptr,
                  bool noack = false, int64_t now_ms = 0);
// streamReplyWithRangeFromConsumerPEL: the consumer's pending entries from `start`; entries
// that no longer exist come as [id, nil].
size_t ReplyConsumerHistory(ReplyBuilder& rb, StreamObject& s, StreamGroup* group,
                            StreamConsumer* consumer, StreamId start, size_t count,
                            int64_t now_ms);

// Called on the key's shard after entries were added to `key` (or a group went away): serves
// the clients blocked on it.
void NotifyStreamAdd(CmdCtx& ctx, std::string_view key);

// XREAD/XREADGROUP key positions (COMMAND GETKEYS; Redis's xreadGetKeys).
void XReadKeys(CmdArgs args, std::vector<size_t>* out);

// The command rows of each stream file.
std::vector<CommandSpec> StreamReadCommands();      // stream_read.cc
std::vector<CommandSpec> StreamConsumerCommands();  // stream_consumer.cc
std::vector<CommandSpec> StreamClaimCommands();     // stream_claim.cc
std::vector<CommandSpec> StreamInfoCommands();      // stream_info.cc

}  // namespace kora
