// ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZRANK ZREVRANK ZCARD, the family's shared helpers and its
// registration (the other parts: see zset_util.h).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/families.h"
#include "commands/zset_util.h"

namespace kora {
namespace zset {

ZLimits Limits(CmdCtx& ctx) {
  struct Cache {
    const ConfigStore* store = nullptr;
    uint64_t generation = ~uint64_t{0};
    ZLimits lim;
  };
  thread_local Cache cache;
  ConfigStore& c = ctx.svc->config();
  uint64_t gen = c.generation();
  if (cache.store != &c || cache.generation != gen) {
    ZLimits lim;
    if (c.Has("zset-max-listpack-entries")) {
      lim.max_entries = static_cast<size_t>(c.IntValue("zset-max-listpack-entries"));
    }
    if (c.Has("zset-max-listpack-value")) {
      lim.max_value = static_cast<size_t>(c.IntValue("zset-max-listpack-value"));
    }
    cache.store = &c;
    cache.generation = gen;
    cache.lim = lim;
  }
  return cache.lim;
}

ZSetObject* Lookup(CmdCtx& ctx, std::string_view key, bool read, bool* wrong_type) {
  *wrong_type = false;
  KeyEntry* e = ctx.db().Find(key, ctx.now_ms);
  if (read) ++(e ? ctx.shard().stats().keyspace_hits : ctx.shard().stats().keyspace_misses);
  if (e == nullptr) return nullptr;
  if (e->value.type() != ValueType::kZSet) {
    *wrong_type = true;
    return nullptr;
  }
  return e->value.As<ZSetObject>();
}

namespace {

// strtod over a C string, as Redis applies it to an sds: parsing stops at a NUL byte.
bool RangeDouble(std::string_view s, double* out) {
  char buf[128];
  std::string big;
  const char* p;
  size_t n = s.size();
  if (const void* z = std::memchr(s.data(), 0, n)) n = static_cast<const char*>(z) - s.data();
  if (n < sizeof(buf)) {
    std::memcpy(buf, s.data(), n);
    buf[n] = '\0';
    p = buf;
  } else {
    big.assign(s.data(), n);
    p = big.c_str();
  }
  char* end;
  double v = std::strtod(p, &end);
  if (*end != '\0' || std::isnan(v)) return false;
  *out = v;
  return true;
}

bool ScoreBound(std::string_view s, double* v, bool* ex) {
  *ex = false;
  if (!s.empty() && s[0] == '(') {
    *ex = true;
    s.remove_prefix(1);
  }
  return RangeDouble(s, v);
}

// zslParseLexRangeItem; the "+" and "-" checks look at a C string (a NUL ends it).
bool LexBound(std::string_view s, ZLexBound* b) {
  char c0 = s.empty() ? '\0' : s[0];
  char c1 = s.size() < 2 ? '\0' : s[1];
  switch (c0) {
    case '+':
      if (c1 != '\0') return false;
      b->kind = ZLexBound::kPlusInf;
      b->ex = true;
      return true;
    case '-':
      if (c1 != '\0') return false;
      b->kind = ZLexBound::kMinusInf;
      b->ex = true;
      return true;
    case '(':
    case '[':
      b->kind = ZLexBound::kValue;
      b->ex = c0 == '(';
      b->value.assign(s.substr(1));
      return true;
    default: return false;
  }
}

}  // namespace

bool ParseScoreRange(std::string_view min, std::string_view max, ZScoreRange* r) {
  return ScoreBound(min, &r->min, &r->minex) && ScoreBound(max, &r->max, &r->maxex);
}

bool ParseLexRange(std::string_view min, std::string_view max, ZLexRange* r) {
  return LexBound(min, &r->min) && LexBound(max, &r->max);
}

void ReplyScore(ReplyBuilder& rb, double d) {
  char buf[40];
  int n;
  if (std::isinf(d)) {
    n = std::snprintf(buf + 1, sizeof(buf) - 1, "%s", d > 0 ? "inf" : "-inf");
  } else {
    n = std::snprintf(buf + 1, sizeof(buf) - 1, "%.17g", d);
  }
  if (rb.resp() >= 3) {
    buf[0] = ',';
    buf[n + 1] = '\r';
    buf[n + 2] = '\n';
    rb.Raw(std::string_view(buf, n + 3));
  } else {
    rb.Bulk(std::string_view(buf + 1, n));
  }
}

void ReplyElems(ReplyBuilder& rb, const ElemViews& v, bool withscores) {
  bool nested = withscores && rb.resp() >= 3;
  rb.ArrayHeader(static_cast<int64_t>(withscores && !nested ? v.size() * 2 : v.size()));
  for (const auto& [m, s] : v) {
    if (nested) rb.ArrayHeader(2);
    rb.Bulk(m);
    if (withscores) ReplyScore(rb, s);
  }
}

CmdCtx NextHop(const CmdCtx& base) {
  CmdCtx c = base;
  c.worker = Worker::Current();
  c.now_ms = NowUnixMs();
  c.rb = nullptr;
  return c;
}

void NumKeysGetKeys(CmdArgs args, int store_pos, int numkeys_pos, std::vector<size_t>* keys) {
  if (static_cast<int>(args.size()) <= numkeys_pos) return;
  // atoi: optional spaces and sign, then digits up to the first other character.
  std::string_view s = args[numkeys_pos];
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  int64_t num = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && num < (int64_t{1} << 40)) {
    num = num * 10 + (s[i++] - '0');
  }
  if (neg) num = -num;
  int64_t first = numkeys_pos + 1;
  if (num < 1 || num > static_cast<int64_t>(args.size()) - first) return;
  for (int64_t k = 0; k < num; ++k) keys->push_back(static_cast<size_t>(first + k));
  if (store_pos > 0) keys->push_back(static_cast<size_t>(store_pos));
}

}  // namespace zset

namespace {

using zset::Lookup;

constexpr std::string_view kNanResult = "ERR resulting score is not a number (NaN)";

// ZADD and ZINCRBY (Redis's zaddGenericCommand).
void ZAddGeneric(CmdArgs args, CmdCtx& ctx, int flags) {
  size_t idx = 2;
  bool ch = false;
  for (; idx < args.size(); ++idx) {
    std::string_view o = args[idx];
    if (EqualsIgnoreCase(o, "nx")) {
      flags |= ZSetObject::kAddNx;
    } else if (EqualsIgnoreCase(o, "xx")) {
      flags |= ZSetObject::kAddXx;
    } else if (EqualsIgnoreCase(o, "ch")) {
      ch = true;
    } else if (EqualsIgnoreCase(o, "incr")) {
      flags |= ZSetObject::kAddIncr;
    } else if (EqualsIgnoreCase(o, "gt")) {
      flags |= ZSetObject::kAddGt;
    } else if (EqualsIgnoreCase(o, "lt")) {
      flags |= ZSetObject::kAddLt;
    } else {
      break;
    }
  }
  bool incr = flags & ZSetObject::kAddIncr, nx = flags & ZSetObject::kAddNx;
  bool xx = flags & ZSetObject::kAddXx, gt = flags & ZSetObject::kAddGt;
  bool lt = flags & ZSetObject::kAddLt;
  size_t elements = args.size() - idx;
  if (elements % 2 != 0 || elements == 0) return ctx.rb->Error(err::kSyntax);
  elements /= 2;
  if (nx && xx) return ctx.rb->Error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return ctx.rb->Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (incr && elements > 1) {
    return ctx.rb->Error("ERR INCR option supports a single increment-element pair");
  }
  double one_score;
  std::vector<double> many;
  double* scores = &one_score;
  if (elements > 1) {
    many.resize(elements);
    scores = many.data();
  }
  for (size_t j = 0; j < elements; ++j) {
    if (!ParseDouble(args[idx + 2 * j], &scores[j])) return ctx.rb->Error(err::kNotFloat);
  }

  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], /*read=*/false, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  ZLimits lim = zset::Limits(ctx);
  int64_t added = 0, updated = 0, processed = 0;
  double score = 0;
  if (z == nullptr) {
    if (xx) return incr ? ctx.rb->Null() : ctx.rb->Integer(0);
    // Redis 7.0 picks the encoding from the first member only.
    std::unique_ptr<ZSetObject> fresh = ZSetObject::Create(0, args[idx + 1].size(), lim);
    z = fresh.get();
    ctx.db().Insert(args[1], Value::Collection(std::move(fresh)));
  }
  for (size_t j = 0; j < elements; ++j) {
    int out;
    double newscore = 0;
    if (!z->Add(args[idx + 1 + 2 * j], scores[j], flags, lim, &out, &newscore)) {
      return ctx.rb->Error(kNanResult);
    }
    if (out & ZSetObject::kOutAdded) ++added;
    if (out & ZSetObject::kOutUpdated) ++updated;
    if (!(out & ZSetObject::kOutNop)) ++processed;
    score = newscore;
  }
  if (incr) {
    if (processed) {
      zset::ReplyScore(*ctx.rb, score);
    } else {
      ctx.rb->Null();
    }
  } else {
    ctx.rb->Integer(ch ? added + updated : added);
  }
  if (added || updated) NotifyKeyspaceEvent(ctx, kNotifyZset, incr ? "zincr" : "zadd", args[1]);
  if (z->size() != 0) NotifyZSetAdd(ctx, args[1]);
}

void CmdZAdd(CmdArgs args, CmdCtx& ctx) { ZAddGeneric(args, ctx, 0); }
void CmdZIncrBy(CmdArgs args, CmdCtx& ctx) { ZAddGeneric(args, ctx, ZSetObject::kAddIncr); }

void CmdZRem(CmdArgs args, CmdCtx& ctx) {
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], false, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  if (z == nullptr) return ctx.rb->Integer(0);
  int64_t deleted = 0;
  bool emptied = false;
  for (size_t j = 2; j < args.size(); ++j) {
    if (z->Remove(args[j])) ++deleted;
    if (z->size() == 0) {
      ctx.db().Erase(args[1]);
      emptied = true;
      break;
    }
  }
  if (deleted) NotifyKeyspaceEvent(ctx, kNotifyZset, "zrem", args[1]);
  if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", args[1]);
  ctx.rb->Integer(deleted);
}

void CmdZScore(CmdArgs args, CmdCtx& ctx) {
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  double s;
  if (z == nullptr || !z->Score(args[2], &s)) return ctx.rb->Null();
  zset::ReplyScore(*ctx.rb, s);
}

void CmdZMScore(CmdArgs args, CmdCtx& ctx) {
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 2));
  for (size_t j = 2; j < args.size(); ++j) {
    double s;
    if (z == nullptr || !z->Score(args[j], &s)) {
      ctx.rb->Null();
    } else {
      zset::ReplyScore(*ctx.rb, s);
    }
  }
}

void RankGeneric(CmdArgs args, CmdCtx& ctx, bool reverse) {
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  size_t rank;
  double s;
  if (z == nullptr || !z->Rank(args[2], &rank, &s)) return ctx.rb->Null();
  ctx.rb->Integer(static_cast<int64_t>(reverse ? z->size() - 1 - rank : rank));
}

void CmdZRank(CmdArgs args, CmdCtx& ctx) { RankGeneric(args, ctx, false); }
void CmdZRevRank(CmdArgs args, CmdCtx& ctx) { RankGeneric(args, ctx, true); }

void CmdZCard(CmdArgs args, CmdCtx& ctx) {
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  ctx.rb->Integer(z ? static_cast<int64_t>(z->size()) : 0);
}

}  // namespace

void RegisterZSetFamily(Service& svc) {
  const uint32_t w = kCmdWrite, r = kCmdReadOnly, f = kCmdFast, oom = kCmdDenyOom;
  std::vector<CommandSpec> cmds = {
      zset::Row("zadd", -4, w | oom | f, "write sortedset fast", "RW update", CmdZAdd),
      zset::Row("zincrby", 4, w | oom | f, "write sortedset fast", "RW access update", CmdZIncrBy),
      zset::Row("zrem", -3, w | f, "write sortedset fast", "RW delete", CmdZRem),
      zset::Row("zscore", 3, r | f, "read sortedset fast", "RO access", CmdZScore),
      zset::Row("zmscore", -3, r | f, "read sortedset fast", "RO access", CmdZMScore),
      zset::Row("zrank", 3, r | f, "read sortedset fast", "RO access", CmdZRank),
      zset::Row("zrevrank", 3, r | f, "read sortedset fast", "RO access", CmdZRevRank),
      zset::Row("zcard", 2, r | f, "read sortedset fast", "RO", CmdZCard),
  };
  for (auto* part :
       {&ZSetRangeCommands, &ZSetPopCommands, &ZSetSetOpCommands, &ZSetBlockingCommands}) {
    for (CommandSpec& c : (*part)()) cmds.push_back(std::move(c));
  }
  svc.Register(std::move(cmds));
}

}  // namespace kora
