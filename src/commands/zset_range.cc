// ZRANGE ZRANGESTORE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX
// ZCOUNT ZLEXCOUNT ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX.
//
// Every range form is parsed into a RangeSpec (Redis's zrangeGenericCommand rules), then
// resolved against the set into one run of ranks, walked in O(log n + m).
#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/zset_util.h"

namespace kora {
namespace {

using zset::Lookup;

enum class RangeKind { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

struct RangeSpec {
  RangeKind kind = RangeKind::kAuto;
  bool reverse = false;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  int64_t start = 0, end = 0;  // kRank
  ZScoreRange score;
  ZLexRange lex;
};

// Redis's zrangeGenericCommand argument rules; `first` is the source key's index. Returns ""
// or the error text.
std::string ParseRange(CmdArgs args, size_t first, bool store, RangeKind kind, Direction dir,
                       RangeSpec* r) {
  size_t minidx = first + 1, maxidx = first + 2;
  for (size_t j = first + 3; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    std::string_view a = args[j];
    if (!store && EqualsIgnoreCase(a, "withscores")) {
      r->withscores = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!zset::ParseLong(args[j + 1], &r->offset) || !zset::ParseLong(args[j + 2], &r->limit)) {
        return std::string(err::kNotInt);
      }
      j += 2;
    } else if (dir == Direction::kAuto && EqualsIgnoreCase(a, "rev")) {
      dir = Direction::kReverse;
    } else if (kind == RangeKind::kAuto && EqualsIgnoreCase(a, "bylex")) {
      kind = RangeKind::kLex;
    } else if (kind == RangeKind::kAuto && EqualsIgnoreCase(a, "byscore")) {
      kind = RangeKind::kScore;
    } else {
      return std::string(err::kSyntax);
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (kind == RangeKind::kAuto) kind = RangeKind::kRank;
  if (r->limit != -1 && kind == RangeKind::kRank) {
    return "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
           "BYLEX";
  }
  if (r->withscores && kind == RangeKind::kLex) {
    return "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
  }
  r->kind = kind;
  r->reverse = dir == Direction::kReverse;
  if (r->reverse && kind != RangeKind::kRank) std::swap(minidx, maxidx);
  switch (kind) {
    case RangeKind::kAuto:
    case RangeKind::kRank:
      if (!zset::ParseLong(args[minidx], &r->start) || !zset::ParseLong(args[maxidx], &r->end)) {
        return std::string(err::kNotInt);
      }
      break;
    case RangeKind::kScore:
      if (!zset::ParseScoreRange(args[minidx], args[maxidx], &r->score)) {
        return std::string(zset::kNotFloatRange);
      }
      break;
    case RangeKind::kLex:
      if (!zset::ParseLexRange(args[minidx], args[maxidx], &r->lex)) {
        return std::string(zset::kNotLexRange);
      }
      break;
  }
  return "";
}

// The selected elements: `count` elements from rank `first`, walking down when `down`.
struct Run {
  size_t first = 0, count = 0;
  bool down = false;
};

// Lex ranges follow Redis's walk literally, which matters when scores differ (the order is then
// not lexicographic): find the first element in range from the walking end, skip `offset`
// elements unchecked, then take elements while they are on the near side of the far bound.
Run ResolveLex(const ZSetObject& z, const RangeSpec& r) {
  Run run;
  run.down = r.reverse;
  auto [lo, hi] = z.LexSpan(r.lex, r.reverse);
  if (lo >= hi || r.offset < 0 || static_cast<uint64_t>(r.offset) >= z.size()) return run;
  size_t off = static_cast<size_t>(r.offset);
  size_t first;
  if (r.reverse) {
    if (off > hi - 1) return run;
    first = hi - 1 - off;
  } else {
    first = lo + off;
    if (first >= z.size()) return run;
  }
  uint64_t limit = r.limit < 0 ? UINT64_MAX : static_cast<uint64_t>(r.limit);
  size_t n = 0;
  ZSetObject::Iterator it = z.Seek(first);
  while (n < limit && it.valid() &&
         (r.reverse ? r.lex.GteMin(it.member()) : r.lex.LteMax(it.member()))) {
    ++n;
    if (r.reverse) {
      it.Prev();
    } else {
      it.Next();
    }
  }
  run.first = first;
  run.count = n;
  return run;
}

Run Resolve(const ZSetObject& z, const RangeSpec& r) {
  Run run;
  run.down = r.reverse;
  int64_t llen = static_cast<int64_t>(z.size());
  if (r.kind == RangeKind::kRank) {
    int64_t start = r.start, end = r.end;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return run;
    if (end >= llen) end = llen - 1;
    run.count = static_cast<size_t>(end - start + 1);
    run.first = static_cast<size_t>(r.reverse ? llen - 1 - start : start);
    return run;
  }
  if (r.kind == RangeKind::kLex) return ResolveLex(z, r);
  auto [lo, hi] = z.ScoreSpan(r.score);
  if (lo >= hi || r.offset < 0) return run;
  size_t in_range = hi - lo;
  if (static_cast<uint64_t>(r.offset) >= in_range) return run;
  size_t n = in_range - static_cast<size_t>(r.offset);
  if (r.limit >= 0 && static_cast<uint64_t>(r.limit) < n) n = static_cast<size_t>(r.limit);
  run.count = n;
  run.first =
      r.reverse ? hi - 1 - static_cast<size_t>(r.offset) : lo + static_cast<size_t>(r.offset);
  return run;
}

template <class Fn>
void Walk(const ZSetObject& z, const Run& run, Fn&& fn) {
  if (run.count == 0) return;
  ZSetObject::Iterator it = z.Seek(run.first);
  for (size_t i = 0; i < run.count; ++i) {
    fn(it.member(), it.score());
    if (run.down) {
      it.Prev();
    } else {
      it.Next();
    }
  }
}

void RangeGeneric(CmdArgs args, CmdCtx& ctx, RangeKind kind, Direction dir) {
  RangeSpec r;
  if (std::string e = ParseRange(args, 1, false, kind, dir, &r); !e.empty()) {
    return ctx.rb->Error(e);
  }
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  if (z == nullptr) return ctx.rb->EmptyArray();
  Run run = Resolve(*z, r);
  ReplyBuilder& rb = *ctx.rb;
  bool nested = r.withscores && rb.resp() >= 3;
  rb.ArrayHeader(static_cast<int64_t>(r.withscores && !nested ? run.count * 2 : run.count));
  Walk(*z, run, [&](std::string_view m, double s) {
    if (nested) rb.ArrayHeader(2);
    rb.Bulk(m);
    if (r.withscores) zset::ReplyScore(rb, s);
  });
}

void CmdZRange(CmdArgs a, CmdCtx& c) { RangeGeneric(a, c, RangeKind::kAuto, Direction::kAuto); }
void CmdZRevRange(CmdArgs a, CmdCtx& c) {
  RangeGeneric(a, c, RangeKind::kRank, Direction::kReverse);
}
void CmdZRangeByScore(CmdArgs a, CmdCtx& c) {
  RangeGeneric(a, c, RangeKind::kScore, Direction::kForward);
}
void CmdZRevRangeByScore(CmdArgs a, CmdCtx& c) {
  RangeGeneric(a, c, RangeKind::kScore, Direction::kReverse);
}
void CmdZRangeByLex(CmdArgs a, CmdCtx& c) {
  RangeGeneric(a, c, RangeKind::kLex, Direction::kForward);
}
void CmdZRevRangeByLex(CmdArgs a, CmdCtx& c) {
  RangeGeneric(a, c, RangeKind::kLex, Direction::kReverse);
}

// ---- ZRANGESTORE

// What the source shard hands over: the range in ascending order, or a type error.
struct Fetched {
  bool wrong_type = false;
  zset::Elems elems;
  size_t max_len = 0;
};

Fetched FetchRange(CmdCtx& ctx, std::string_view src, const RangeSpec& r) {
  Fetched f;
  ZSetObject* z = Lookup(ctx, src, true, &f.wrong_type);
  if (z == nullptr) return f;
  Run run = Resolve(*z, r);
  f.elems.reserve(run.count);
  Walk(*z, run, [&](std::string_view m, double s) {
    f.elems.emplace_back(std::string(m), s);
    if (m.size() > f.max_len) f.max_len = m.size();
  });
  if (run.down) std::reverse(f.elems.begin(), f.elems.end());
  return f;
}

void CmdZRangeStore(CmdArgs args, CmdCtx& ctx) {
  RangeSpec r;
  if (std::string e = ParseRange(args, 2, true, RangeKind::kAuto, Direction::kAuto, &r);
      !e.empty()) {
    return ctx.rb->Error(e);
  }
  Fetched f = FetchRange(ctx, args[2], r);
  if (f.wrong_type) return ctx.rb->Error(err::kWrongType);
  zset::StoreResult(ctx, args[1], f.elems, f.max_len);
  ctx.rb->Integer(static_cast<int64_t>(f.elems.size()));
}

// Source and destination on two shards: read the range on the source's, write on the
// destination's.
void MultiZRangeStore(CmdArgs args, CmdCtx& ctx) {
  auto r = std::make_shared<RangeSpec>();
  if (std::string e = ParseRange(args, 2, true, RangeKind::kAuto, Direction::kAuto, r.get());
      !e.empty()) {
    return ctx.conn->Reply().Error(e);
  }
  std::string src(args[2]), dst(args[1]);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  CmdCtx base = ctx;
  zset::OnKeyShard<std::shared_ptr<Fetched>>(
      ctx, src, [src, r](CmdCtx& c) { return std::make_shared<Fetched>(FetchRange(c, src, *r)); },
      [base, dst, pending](std::shared_ptr<Fetched>& f) {
        if (f->wrong_type) {
          return pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
        }
        CmdCtx c = zset::NextHop(base);
        std::shared_ptr<const Fetched> res = f;
        zset::OnKeyShard<int64_t>(
            c, dst,
            [dst, res](CmdCtx& s) {
              zset::StoreResult(s, dst, res->elems, res->max_len);
              return static_cast<int64_t>(res->elems.size());
            },
            [pending](int64_t& n) { pending->Finish([n](ReplyBuilder& rb) { rb.Integer(n); }); });
      });
}

// ---- ZCOUNT ZLEXCOUNT

void CmdZCount(CmdArgs args, CmdCtx& ctx) {
  ZScoreRange r;
  if (!zset::ParseScoreRange(args[2], args[3], &r)) return ctx.rb->Error(zset::kNotFloatRange);
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  if (z == nullptr) return ctx.rb->Integer(0);
  auto [lo, hi] = z->ScoreSpan(r);
  ctx.rb->Integer(hi > lo ? static_cast<int64_t>(hi - lo) : 0);
}

void CmdZLexCount(CmdArgs args, CmdCtx& ctx) {
  ZLexRange r;
  if (!zset::ParseLexRange(args[2], args[3], &r)) return ctx.rb->Error(zset::kNotLexRange);
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  if (z == nullptr) return ctx.rb->Integer(0);
  auto [lo, hi] = z->LexSpan(r);
  ctx.rb->Integer(hi > lo ? static_cast<int64_t>(hi - lo) : 0);
}

// ---- ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX

void RemRangeGeneric(CmdArgs args, CmdCtx& ctx, RangeKind kind) {
  int64_t start = 0, end = 0;
  ZScoreRange score;
  ZLexRange lex;
  if (kind == RangeKind::kRank) {
    if (!zset::ParseLong(args[2], &start) || !zset::ParseLong(args[3], &end)) {
      return ctx.rb->Error(err::kNotInt);
    }
  } else if (kind == RangeKind::kScore) {
    if (!zset::ParseScoreRange(args[2], args[3], &score)) {
      return ctx.rb->Error(zset::kNotFloatRange);
    }
  } else if (!zset::ParseLexRange(args[2], args[3], &lex)) {
    return ctx.rb->Error(zset::kNotLexRange);
  }
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], false, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  if (z == nullptr) return ctx.rb->Integer(0);
  size_t first = 0, count = 0;
  if (kind == RangeKind::kRank) {
    int64_t llen = static_cast<int64_t>(z->size());
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return ctx.rb->Integer(0);
    if (end >= llen) end = llen - 1;
    first = static_cast<size_t>(start);
    count = static_cast<size_t>(end - start + 1);
  } else {
    auto [lo, hi] = kind == RangeKind::kScore ? z->ScoreSpan(score) : z->LexSpan(lex);
    if (hi > lo) {
      first = lo;
      count = hi - lo;
    }
  }
  bool emptied = count == z->size();
  if (emptied) {
    ctx.db().Erase(args[1]);
  } else {
    z->EraseRanks(first, count);
  }
  if (count) {  // zremrangebyrank, zremrangebyscore or zremrangebylex
    NotifyKeyspaceEvent(ctx, kNotifyZset, ctx.spec->name, args[1]);
    if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  }
  ctx.rb->Integer(static_cast<int64_t>(count));
}

void CmdZRemRangeByRank(CmdArgs a, CmdCtx& c) { RemRangeGeneric(a, c, RangeKind::kRank); }
void CmdZRemRangeByScore(CmdArgs a, CmdCtx& c) { RemRangeGeneric(a, c, RangeKind::kScore); }
void CmdZRemRangeByLex(CmdArgs a, CmdCtx& c) { RemRangeGeneric(a, c, RangeKind::kLex); }

}  // namespace

std::vector<CommandSpec> ZSetRangeCommands() {
  const uint32_t r = kCmdReadOnly, f = kCmdFast, w = kCmdWrite;
  const char* rd = "read sortedset slow";
  const char* wr = "write sortedset slow";
  CommandSpec store =
      Cmd("zrangestore", -5, w | kCmdDenyOom, 1, 2, 1, wr, CmdZRangeStore, MultiZRangeStore);
  store.key_specs = {KeySpec{"OW update", 1}, KeySpec{"RO access", 2}};
  return {
      zset::Row("zrange", -4, r, rd, "RO access", CmdZRange),
      std::move(store),
      zset::Row("zrevrange", -4, r, rd, "RO access", CmdZRevRange),
      zset::Row("zrangebyscore", -4, r, rd, "RO access", CmdZRangeByScore),
      zset::Row("zrevrangebyscore", -4, r, rd, "RO access", CmdZRevRangeByScore),
      zset::Row("zrangebylex", -4, r, rd, "RO access", CmdZRangeByLex),
      zset::Row("zrevrangebylex", -4, r, rd, "RO access", CmdZRevRangeByLex),
      zset::Row("zcount", 4, r | f, "read sortedset fast", "RO access", CmdZCount),
      zset::Row("zlexcount", 4, r | f, "read sortedset fast", "RO access", CmdZLexCount),
      zset::Row("zremrangebyrank", 4, w, wr, "RW delete", CmdZRemRangeByRank),
      zset::Row("zremrangebyscore", 4, w, wr, "RW delete", CmdZRemRangeByScore),
      zset::Row("zremrangebylex", 4, w, wr, "RW delete", CmdZRemRangeByLex),
  };
}

}  // namespace kora
