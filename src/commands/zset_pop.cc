// ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/glob.h"
#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/zset_util.h"

namespace kora {
namespace zset {

// ---- ZPOPMIN ZPOPMAX ZMPOP (the helpers are shared with zset_blocking.cc)

// Pops up to `count` elements from one end; deletes the key when it empties.
zset::Elems PopElems(CmdCtx& ctx, std::string_view key, ZSetObject* z, bool max, int64_t count) {
  size_t n = std::min<uint64_t>(z->size(), static_cast<uint64_t>(count));
  zset::Elems out;
  out.reserve(n);
  size_t first = max ? z->size() - 1 : 0;
  ZSetObject::Iterator it = z->Seek(first);
  for (size_t i = 0; i < n; ++i) {
    out.emplace_back(std::string(it.member()), it.score());
    if (max) {
      it.Prev();
    } else {
      it.Next();
    }
  }
  if (n == 0) return out;
  bool emptied = n == z->size();
  if (emptied) {
    ctx.db().Erase(key);
  } else {
    z->EraseRanks(max ? z->size() - n : 0, n);
  }
  NotifyKeyspaceEvent(ctx, kNotifyZset, max ? "zpopmax" : "zpopmin", key);
  if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
  return out;
}

void ReplyPopped(ReplyBuilder& rb, const zset::Elems& v, bool nested) {
  rb.ArrayHeader(static_cast<int64_t>(nested ? v.size() : v.size() * 2));
  for (const auto& [m, s] : v) {
    if (nested) rb.ArrayHeader(2);
    rb.Bulk(m);
    zset::ReplyScore(rb, s);
  }
}

}  // namespace zset
namespace {

using zset::Lookup;
using zset::MPopArgs;
using zset::ParseMPop;
using zset::PopElems;
using zset::ReplyMPop;
using zset::ReplyPopped;

void PopGeneric(CmdArgs args, CmdCtx& ctx, bool max) {
  if (args.size() > 3) return ctx.rb->Error(err::kSyntax);
  int64_t count = -1;
  if (args.size() == 3 && (!zset::ParseLong(args[2], &count) || count < 0)) {
    return ctx.rb->Error("ERR value is out of range, must be positive");
  }
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], false, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  if (z == nullptr || count == 0) return ctx.rb->EmptyArray();
  bool nested = ctx.rb->resp() >= 3 && count != -1;
  ReplyPopped(*ctx.rb, PopElems(ctx, args[1], z, max, count == -1 ? 1 : count), nested);
}

void CmdZPopMin(CmdArgs a, CmdCtx& c) { PopGeneric(a, c, false); }
void CmdZPopMax(CmdArgs a, CmdCtx& c) { PopGeneric(a, c, true); }

}  // namespace
namespace zset {

// Redis's zmpopGenericCommand argument rules. Returns "" or the error text.
std::string ParseMPop(CmdArgs args, MPopArgs* o) {
  if (!zset::ParseLong(args[1], &o->numkeys) || o->numkeys < 1) {
    return "ERR numkeys should be greater than 0";
  }
  uint64_t where = 2 + static_cast<uint64_t>(o->numkeys);
  if (where >= args.size()) return std::string(err::kSyntax);
  if (EqualsIgnoreCase(args[where], "min")) {
    o->max = false;
  } else if (EqualsIgnoreCase(args[where], "max")) {
    o->max = true;
  } else {
    return std::string(err::kSyntax);
  }
  bool have_count = false;
  for (size_t j = where + 1; j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    if (!have_count && EqualsIgnoreCase(args[j], "count") && more) {
      ++j;
      if (!zset::ParseLong(args[j], &o->count) || o->count < 1) {
        return "ERR count should be greater than 0";
      }
      have_count = true;
    } else {
      return std::string(err::kSyntax);
    }
  }
  return "";
}

void ReplyMPop(ReplyBuilder& rb, std::string_view key, const zset::Elems& v) {
  rb.ArrayHeader(2);
  rb.Bulk(key);
  ReplyPopped(rb, v, /*nested=*/true);
}

}  // namespace zset
namespace {

void CmdZMPop(CmdArgs args, CmdCtx& ctx) {
  MPopArgs o;
  if (std::string e = ParseMPop(args, &o); !e.empty()) return ctx.rb->Error(e);
  for (int64_t k = 0; k < o.numkeys; ++k) {
    std::string_view key = args[2 + k];
    bool wrong_type;
    ZSetObject* z = Lookup(ctx, key, false, &wrong_type);
    if (wrong_type) return ctx.rb->Error(err::kWrongType);
    if (z == nullptr) continue;
    return ReplyMPop(*ctx.rb, key, PopElems(ctx, key, z, o.max, o.count));
  }
  ctx.rb->NullArray();
}

// The outcome of trying one key of a cross-shard ZMPOP on its shard.
struct MPopTry {
  enum { kMissing, kWrongType, kPopped } status = kMissing;
  zset::Elems elems;
};

// Tries the keys one after another, each on its shard, until one pops or fails.
void MPopStep(CmdCtx base, std::shared_ptr<const std::vector<std::string>> keys, size_t i,
              MPopArgs o, PendingReply* pending) {
  if (i == keys->size()) {
    return pending->Finish([](ReplyBuilder& rb) { rb.NullArray(); });
  }
  CmdCtx c = zset::NextHop(base);
  std::string key = (*keys)[i];
  zset::OnKeyShard<std::shared_ptr<MPopTry>>(
      c, key,
      [key, o](CmdCtx& s) {
        auto t = std::make_shared<MPopTry>();
        bool wrong_type;
        ZSetObject* z = Lookup(s, key, false, &wrong_type);
        if (wrong_type) {
          t->status = MPopTry::kWrongType;
        } else if (z != nullptr) {
          t->status = MPopTry::kPopped;
          t->elems = PopElems(s, key, z, o.max, o.count);
        }
        return t;
      },
      [base, keys, i, o, pending, key](std::shared_ptr<MPopTry>& t) {
        if (t->status == MPopTry::kWrongType) {
          return pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
        }
        if (t->status == MPopTry::kPopped) {
          std::shared_ptr<const MPopTry> res = t;
          return pending->Finish([key, res](ReplyBuilder& rb) { ReplyMPop(rb, key, res->elems); });
        }
        MPopStep(base, keys, i + 1, o, pending);
      });
}

void MultiZMPop(CmdArgs args, CmdCtx& ctx) {
  MPopArgs o;
  if (std::string e = ParseMPop(args, &o); !e.empty()) return ctx.conn->Reply().Error(e);
  auto keys = std::make_shared<std::vector<std::string>>();
  for (int64_t k = 0; k < o.numkeys; ++k) keys->emplace_back(args[2 + k]);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  MPopStep(ctx, std::move(keys), 0, o, pending);
}

void ZMPopGetKeys(CmdArgs args, std::vector<size_t>* keys) {
  zset::NumKeysGetKeys(args, 0, 1, keys);
}

// ---- ZRANDMEMBER

void ReplyOne(ReplyBuilder& rb, const ZSetObject::Iterator& it, bool withscores, bool nested) {
  if (nested) rb.ArrayHeader(2);
  rb.Bulk(it.member());
  if (withscores) zset::ReplyScore(rb, it.score());
}

void RandMemberWithCount(CmdCtx& ctx, std::string_view key, int64_t l, bool withscores) {
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, key, true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  if (z == nullptr || l == 0) return ctx.rb->EmptyArray();
  ReplyBuilder& rb = *ctx.rb;
  bool nested = withscores && rb.resp() >= 3;
  std::mt19937_64& rng = ctx.shard().rng();
  size_t size = z->size();
  uint64_t count = l < 0 ? 0 - static_cast<uint64_t>(l) : static_cast<uint64_t>(l);
  if (l < 0 || count == 1) {
    // With repetitions, in random order.
    rb.ArrayHeader(static_cast<int64_t>(withscores && !nested ? count * 2 : count));
    std::uniform_int_distribution<size_t> pick(0, size - 1);
    for (uint64_t i = 0; i < count; ++i) ReplyOne(rb, z->Seek(pick(rng)), withscores, nested);
    return;
  }
  size_t n = count < size ? static_cast<size_t>(count) : size;
  rb.ArrayHeader(static_cast<int64_t>(withscores && !nested ? n * 2 : n));
  if (count >= size) {
    // The whole set, in the order Redis's iterator walks it (highest first).
    ZSetObject::Iterator it = z->Seek(size - 1);
    for (size_t i = 0; i < size; ++i, it.Prev()) ReplyOne(rb, it, withscores, nested);
    return;
  }
  // Distinct ranks: a partial Fisher-Yates shuffle over a sparse permutation.
  std::vector<size_t> ranks;
  ranks.reserve(n);
  absl::flat_hash_map<size_t, size_t> swapped;
  for (size_t i = 0; i < n; ++i) {
    size_t j = std::uniform_int_distribution<size_t>(i, size - 1)(rng);
    auto at = [&](size_t k) {
      auto f = swapped.find(k);
      return f == swapped.end() ? k : f->second;
    };
    size_t vi = at(i), vj = at(j);
    swapped[j] = vi;
    swapped[i] = vj;
    ranks.push_back(vj);
  }
  for (size_t r : ranks) ReplyOne(rb, z->Seek(r), withscores, nested);
}

void CmdZRandMember(CmdArgs args, CmdCtx& ctx) {
  if (args.size() >= 3) {
    int64_t l;
    if (!zset::ParseLong(args[2], &l)) return ctx.rb->Error(err::kNotInt);
    if (l == INT64_MIN) {
      return ctx.rb->Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    bool withscores = false;
    if (args.size() > 4 || (args.size() == 4 && !EqualsIgnoreCase(args[3], "withscores"))) {
      return ctx.rb->Error(err::kSyntax);
    }
    if (args.size() == 4) {
      withscores = true;
      if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
        return ctx.rb->Error("ERR value is out of range");
      }
    }
    return RandMemberWithCount(ctx, args[1], l, withscores);
  }
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  if (z == nullptr) return ctx.rb->Null();
  size_t r = std::uniform_int_distribution<size_t>(0, z->size() - 1)(ctx.shard().rng());
  ctx.rb->Bulk(z->Seek(r).member());
}

// ---- ZSCAN

// Redis's parseScanCursorOrReply: strtoul over the whole argument.
bool ParseCursor(std::string_view s, uint64_t* out) {
  // The argument is read as a C string: a NUL byte ends it.
  if (const void* z = std::memchr(s.data(), 0, s.size())) {
    s = s.substr(0, static_cast<const char*>(z) - s.data());
  }
  std::string buf(s);
  if (!buf.empty() && std::isspace(static_cast<unsigned char>(buf[0]))) return false;
  char* end;
  errno = 0;
  unsigned long long v = std::strtoull(buf.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = v;
  return true;
}

// The score as a listpack holds it: an integer when integral (within +-2^62), else %.17g.
std::string_view PackScoreString(double d, char* buf) {
  int n;
  if (std::isinf(d)) {
    n = std::snprintf(buf, 40, "%s", d > 0 ? "inf" : "-inf");
  } else if (d >= -4611686018427387903.0 && d <= 4611686018427387903.0 &&
             d == static_cast<double>(static_cast<long long>(d))) {
    n = std::snprintf(buf, 40, "%lld", static_cast<long long>(d));
  } else {
    n = std::snprintf(buf, 40, "%.17g", d);
  }
  return std::string_view(buf, n);
}

// The score as Redis's skiplist scan formats it (ld2string, LD_STR_AUTO: %.17Lg).
std::string_view SkiplistScoreString(double d, char* buf) {
  int n;
  if (std::isinf(d)) {
    n = std::snprintf(buf, 40, "%s", d > 0 ? "inf" : "-inf");
  } else {
    n = std::snprintf(buf, 60, "%.17Lg", static_cast<long double>(d));
  }
  return std::string_view(buf, n);
}

void CmdZScan(CmdArgs args, CmdCtx& ctx) {
  uint64_t cursor;
  if (!ParseCursor(args[2], &cursor)) return ctx.rb->Error("ERR invalid cursor");
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (z == nullptr && !wrong_type) {
    ReplyBuilder& rb = *ctx.rb;
    rb.ArrayHeader(2);
    rb.Bulk("0");
    return rb.EmptyArray();
  }
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  for (size_t i = 3; i < args.size();) {
    size_t left = args.size() - i;
    if (EqualsIgnoreCase(args[i], "count") && left >= 2) {
      if (!zset::ParseLong(args[i + 1], &count)) return ctx.rb->Error(err::kNotInt);
      if (count < 1) return ctx.rb->Error(err::kSyntax);
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "match") && left >= 2) {
      pattern = args[i + 1];
      use_pattern = pattern != "*";
      i += 2;
    } else {
      return ctx.rb->Error(err::kSyntax);
    }
  }
  std::vector<std::pair<std::string_view, std::string>> found;
  char buf[64];
  uint64_t next = 0;
  auto keep = [&](std::string_view m) { return !use_pattern || GlobMatch(pattern, m); };
  if (z->is_listpack()) {
    for (ZSetObject::Iterator it = z->Seek(0); it.valid(); it.Next()) {
      if (keep(it.member())) {
        found.emplace_back(it.member(), std::string(PackScoreString(it.score(), buf)));
      }
    }
  } else {
    next = z->Scan(cursor, static_cast<size_t>(count), [&](std::string_view m, double s) {
      if (keep(m)) found.emplace_back(m, std::string(SkiplistScoreString(s, buf)));
    });
  }
  ReplyBuilder& rb = *ctx.rb;
  rb.ArrayHeader(2);
  rb.Bulk(std::to_string(next));
  rb.ArrayHeader(static_cast<int64_t>(found.size() * 2));
  for (const auto& [m, s] : found) {
    rb.Bulk(m);
    rb.Bulk(s);
  }
}

}  // namespace

std::vector<CommandSpec> ZSetPopCommands() {
  const uint32_t w = kCmdWrite, f = kCmdFast;
  CommandSpec mpop = Cmd("zmpop", -4, w, 0, 0, 0, "write sortedset slow", CmdZMPop, MultiZMPop);
  mpop.getkeys = ZMPopGetKeys;
  mpop.key_specs = {KeySpec{"RW access delete", 1, nullptr, true, 0, 1, 1}};
  CommandSpec rand = zset::Row("zrandmember", -2, kCmdReadOnly, "read sortedset slow", "RO access",
                               CmdZRandMember);
  rand.tips = "nondeterministic_output";
  CommandSpec scan =
      zset::Row("zscan", -3, kCmdReadOnly, "read sortedset slow", "RO access", CmdZScan);
  scan.tips = "nondeterministic_output";
  return {
      zset::Row("zpopmin", -2, w | f, "write sortedset fast", "RW access delete", CmdZPopMin),
      zset::Row("zpopmax", -2, w | f, "write sortedset fast", "RW access delete", CmdZPopMax),
      std::move(mpop),
      std::move(rand),
      std::move(scan),
  };
}

}  // namespace kora
