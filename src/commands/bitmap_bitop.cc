// BITOP AND|OR|XOR|NOT destkey srckey [srckey ...], also with keys on several shards.
#include <algorithm>
#include <cstring>

#include "commands/notify.h"
#include "commands/bitmap_util.h"

namespace kora {
namespace {

enum class BitOp { kAnd, kOr, kXor, kNot };

// Parses the operation and checks NOT's single source. False after an error reply.
bool ParseBitOp(CmdArgs args, BitOp* op, ReplyBuilder& rb) {
  std::string_view name = args[1].substr(0, args[1].find('\0'));
  if (EqualsIgnoreCase(name, "and")) {
    *op = BitOp::kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    *op = BitOp::kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    *op = BitOp::kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    *op = BitOp::kNot;
  } else {
    rb.Error(err::kSyntax);
    return false;
  }
  if (*op == BitOp::kNot && args.size() != 4) {
    rb.Error("ERR BITOP NOT must be called with a single source key.");
    return false;
  }
  return true;
}

// The result of the operation over the sources (missing keys are empty strings); empty when
// every source is empty.
std::string Compute(BitOp op, const std::vector<std::string_view>& src) {
  size_t maxlen = 0;
  for (auto s : src) maxlen = std::max(maxlen, s.size());
  std::string res(maxlen, '\0');
  if (maxlen == 0) return res;
  auto* r = reinterpret_cast<uint8_t*>(res.data());
  std::memcpy(r, src[0].data(), src[0].size());
  if (op == BitOp::kNot) {
    for (size_t j = 0; j < maxlen; ++j) r[j] = static_cast<uint8_t>(~r[j]);
    return res;
  }
  for (size_t i = 1; i < src.size(); ++i) {
    const auto* s = reinterpret_cast<const uint8_t*>(src[i].data());
    size_t n = src[i].size();
    switch (op) {
      case BitOp::kAnd:
        for (size_t j = 0; j < n; ++j) r[j] &= s[j];
        std::memset(r + n, 0, maxlen - n);  // past its end a source reads as zeros
        break;
      case BitOp::kOr:
        for (size_t j = 0; j < n; ++j) r[j] |= s[j];
        break;
      case BitOp::kXor:
        for (size_t j = 0; j < n; ++j) r[j] ^= s[j];
        break;
      case BitOp::kNot:
        break;
    }
  }
  return res;
}

// Stores the result at `dest` as a raw string (type and TTL replaced), or deletes `dest` when
// the result is empty.
void StoreResult(CmdCtx& ctx, std::string_view dest, std::string result) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(dest, ctx.now_ms);
  if (result.empty()) {
    if (e) {
      db.Erase(e);
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", dest);
    }
    return;
  }
  if (e) {
    e->value = Value::RawString(std::move(result));
    db.ClearExpire(e);
  } else {
    db.Insert(dest, Value::RawString(std::move(result)));
  }
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", dest);
}

void CmdBitOp(CmdArgs args, CmdCtx& ctx) {
  BitOp op;
  if (!ParseBitOp(args, &op, *ctx.rb)) return;
  DbTable& db = ctx.db();
  ShardStats& stats = ctx.shard().stats();
  size_t n = args.size() - 3;
  std::vector<std::string_view> src(n);
  std::vector<IntDigits> digits(n);
  for (size_t i = 0; i < n; ++i) {
    KeyEntry* e = db.Find(args[3 + i], ctx.now_ms);
    if (e == nullptr) {
      ++stats.keyspace_misses;
      continue;
    }
    ++stats.keyspace_hits;
    if (!e->value.is_string()) return ctx.rb->Error(err::kWrongType);
    src[i] = StrBytes(e->value, &digits[i]);
  }
  std::string result = Compute(op, src);
  int64_t len = static_cast<int64_t>(result.size());
  StoreResult(ctx, args[2], std::move(result));
  ctx.rb->Integer(len);
}

// Keys on several shards: fetch the sources, compute here, then store on the destination's
// shard. A barrier keeps this connection's later commands behind the store.
void MultiBitOp(CmdArgs args, CmdCtx& ctx) {
  BitOp op;
  if (!ParseBitOp(args, &op, ctx.conn->Reply())) return;
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  int dest_shard = ctx.svc->engine().ShardOf(args[2]);
  auto dest = std::make_shared<const std::string>(args[2]);
  CmdCtx saved = ctx;  // conn stays alive: the pending reply holds a reference
  FetchStrings(ctx, PlanKeys(ctx, args, 3, 1, false),
               [pending, saved, op, dest_shard, dest](std::vector<FetchedString>& values) mutable {
                 std::vector<std::string_view> src;
                 for (const FetchedString& v : values) {
                   if (v.state == FetchedString::kWrongType) {
                     return pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
                   }
                   src.emplace_back(v.bytes);
                 }
                 // Handed to the destination shard, which alone touches it from now on.
                 auto result = std::make_shared<std::string>(Compute(op, src));
                 int64_t len = static_cast<int64_t>(result->size());
                 saved.now_ms = NowUnixMs();
                 saved.svc->RunOnShards<bool>(
                     saved, {dest_shard},
                     [dest, result](CmdCtx& c) {
                       StoreResult(c, *dest, std::move(*result));
                       return true;
                     },
                     [pending, len](std::vector<bool>&) {
                       pending->Finish([len](ReplyBuilder& rb) { rb.Integer(len); });
                     });
               });
}

}  // namespace

std::vector<CommandSpec> BitmapBitopCommands() {
  return {
      Cmd("bitop", -4, kCmdWrite | kCmdDenyOom, 2, -1, 1, "write bitmap slow", CmdBitOp,
          MultiBitOp),
  };
}

}  // namespace kora
