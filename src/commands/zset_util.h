// The sorted-set family's parts (zset_*.cc), registered together by RegisterZSetFamily():
//
//   zset_family.cc  ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZRANK ZREVRANK ZCARD, the registration
//   zset_range.cc   ZRANGE ZRANGESTORE ZREVRANGE ZRANGEBY* ZREVRANGEBY* ZCOUNT ZLEXCOUNT
//                   ZREMRANGEBY*
//   zset_pop.cc     ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN
//   zset_setops.cc  ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD
//   zset_blocking.cc BZPOPMIN BZPOPMAX BZMPOP
//
// Commands whose keys span shards run a coordinator: it reads what it needs from each key's
// shard (copies), computes on the connection's worker and, for the *STORE forms, writes the
// destination on its shard in a second hop, holding the connection's barrier meanwhile.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/notify.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "core/zset_object.h"

namespace kora {

std::vector<CommandSpec> ZSetRangeCommands();
std::vector<CommandSpec> ZSetPopCommands();
std::vector<CommandSpec> ZSetSetOpCommands();
std::vector<CommandSpec> ZSetBlockingCommands();

// Serves clients blocked (BZPOPMIN...) on `key` after it gained members (zset_blocking.cc).
void NotifyZSetAdd(CmdCtx& ctx, std::string_view key);

namespace zset {

inline constexpr std::string_view kNotFloatRange = "ERR min or max is not a float";
inline constexpr std::string_view kNotLexRange = "ERR min or max not valid string range item";

// An owned (member, score) list, in ascending order unless said otherwise.
using Elems = std::vector<std::pair<std::string, double>>;
// Borrowed form, pointing into live objects or into an Elems.
using ElemViews = std::vector<std::pair<std::string_view, double>>;

// The current zset-max-listpack-entries/value (cached per thread, re-read on CONFIG SET).
ZLimits Limits(CmdCtx& ctx);

// Looks up `key` as a sorted set. nullptr when missing (*wrong_type false) or when it holds
// another type (*wrong_type true; nothing replied). `read` counts a keyspace hit or miss.
ZSetObject* Lookup(CmdCtx& ctx, std::string_view key, bool read, bool* wrong_type);

// Redis's zslParseRange / zslParseLexRange.
bool ParseScoreRange(std::string_view min, std::string_view max, ZScoreRange* r);
bool ParseLexRange(std::string_view min, std::string_view max, ZLexRange* r);
// Redis's getLongFromObjectOrReply parsing (string2ll).
inline bool ParseLong(std::string_view s, int64_t* v) { return ParseInt64(s, v); }

// A score as Redis 7.0's addReplyDouble writes it (%.17g; RESP3 double).
void ReplyScore(ReplyBuilder& rb, double d);
// Writes (member, score) pairs: flat in RESP2, [member, score] pairs in RESP3; members only
// without scores.
void ReplyElems(ReplyBuilder& rb, const ElemViews& v, bool withscores);

// Pops up to `count` elements from one end of `z` (at `key`); deletes the key when it empties.
Elems PopElems(CmdCtx& ctx, std::string_view key, ZSetObject* z, bool max, int64_t count);
// Popped elements: flat (member, score) pairs, or [member, score] pairs when `nested`.
void ReplyPopped(ReplyBuilder& rb, const Elems& v, bool nested);
// ZMPOP's [key, [[member, score]...]] reply.
void ReplyMPop(ReplyBuilder& rb, std::string_view key, const Elems& v);

struct MPopArgs {
  int64_t numkeys = 0;
  bool max = false;
  int64_t count = 1;
};
// Redis's zmpopGenericCommand argument rules, numkeys at args[1]. Returns "" or the error text.
std::string ParseMPop(CmdArgs args, MPopArgs* o);

// Replaces `key` with a sorted set holding `v` (ascending; no TTL), or deletes it when `v` is
// empty. The encoding follows Redis: listpack when the result is small and its members
// (`max_len` bytes at most, as Redis measured them) are short.
template <class V>
void StoreResult(CmdCtx& ctx, std::string_view key, const V& v, size_t max_len) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Peek(key, ctx.now_ms);
  if (v.empty()) {
    if (e) {
      db.Erase(e);
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
    }
    return;
  }
  ZLimits lim = Limits(ctx);
  std::unique_ptr<ZSetObject> z = ZSetObject::Create(v.size(), max_len, lim);
  for (const auto& [m, s] : v) z->AppendSorted(m, s, lim);
  Value val = Value::Collection(std::move(z));
  if (e) {
    e->value = std::move(val);
    db.ClearExpire(e);
  } else {
    db.Insert(key, std::move(val));
  }
  // The event is the command's name (zunionstore, zrangestore, geosearchstore...), except
  // for GEORADIUS[BYMEMBER] ... STORE.
  if (ctx.spec) {
    std::string_view ev = ctx.spec->name;
    if (ev.starts_with("georadius")) ev = "georadiusstore";
    NotifyKeyspaceEvent(ctx, kNotifyZset, ev, key);
  }
  NotifyZSetAdd(ctx, key);
}

// The context for a coordinator's next hop, on the coordinator's worker.
CmdCtx NextHop(const CmdCtx& base);

// Runs fn on the shard owning `key`, then `then` with its result back on the coordinator.
template <class R, class Fn, class Then>
void OnKeyShard(CmdCtx& ctx, std::string_view key, Fn fn, Then then) {
  int shard = ctx.svc->engine().ShardOf(key);
  ctx.svc->RunOnShards<R>(ctx, {shard}, std::function<R(CmdCtx&)>(std::move(fn)),
                          [then = std::move(then)](std::vector<R>& r) mutable { then(r[0]); });
}

// A command row with one key at position 1 and Redis's key spec for it.
inline CommandSpec Row(const char* name, int arity, uint32_t flags, const char* acl,
                       const char* key_flags, CmdHandler h) {
  CommandSpec s = Cmd(name, arity, flags, 1, 1, 1, acl, h);
  s.key_specs = {KeySpec{key_flags, 1}};
  return s;
}

// Redis's genericGetKeys for "[dest] numkeys key..." commands (atoi on numkeys; no keys when it
// is out of range).
void NumKeysGetKeys(CmdArgs args, int store_pos, int numkeys_pos, std::vector<size_t>* keys);

}  // namespace zset
}  // namespace kora
