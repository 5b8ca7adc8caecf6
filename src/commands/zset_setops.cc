// ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD (Redis's
// zunionInterDiffGenericCommand). Sources may be sorted sets or sets (members score 1).
//
// On one shard the sources are read in place. Across shards the coordinator copies each
// source off its shard, computes, then replies or (the *STORE forms) writes the destination on
// its shard in a second hop.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cmath>

#include "base/strutil.h"
#include "commands/zset_util.h"
#include "core/set_object.h"

namespace kora {
namespace {

enum class Op { kUnion, kInter, kDiff };
enum class Agg { kSum, kMin, kMax };

// The parsed command line.
struct SetOpArgs {
  Op op = Op::kUnion;
  bool store = false;      // *STORE: args[1] is the destination
  bool card_only = false;  // ZINTERCARD
  int64_t numkeys = 0;
  size_t first_key = 0;
  std::vector<double> weights;
  Agg agg = Agg::kSum;
  bool withscores = false;
  int64_t limit = 0;
  std::string option_error;  // reported after the sources' type checks, as Redis does
};

// Parses numkeys; returns "" or the error text.
std::string ParseNumKeys(CmdArgs args, const CmdCtx& ctx, SetOpArgs* a) {
  size_t idx = a->store ? 2 : 1;
  if (!zset::ParseLong(args[idx], &a->numkeys)) return std::string(err::kNotInt);
  if (a->numkeys < 1) {
    return "ERR at least 1 input key is needed for '" + ctx.spec->name + "' command";
  }
  if (static_cast<uint64_t>(a->numkeys) > args.size() - (idx + 1)) {
    return std::string(err::kSyntax);
  }
  a->first_key = idx + 1;
  return "";
}

// Parses WEIGHTS / AGGREGATE / WITHSCORES / LIMIT into `a` (errors into a->option_error).
void ParseOptions(CmdArgs args, SetOpArgs* a) {
  size_t n = static_cast<size_t>(a->numkeys);
  a->weights.assign(n, 1.0);
  size_t j = a->first_key + n;
  while (j < args.size()) {
    size_t remaining = args.size() - j;
    std::string_view o = args[j];
    bool weighted = a->op != Op::kDiff && !a->card_only;
    if (weighted && remaining >= n + 1 && EqualsIgnoreCase(o, "weights")) {
      ++j;
      for (size_t i = 0; i < n; ++i, ++j) {
        if (!ParseDouble(args[j], &a->weights[i])) {
          a->option_error = "ERR weight value is not a float";
          return;
        }
      }
    } else if (weighted && remaining >= 2 && EqualsIgnoreCase(o, "aggregate")) {
      std::string_view v = args[j + 1];
      if (EqualsIgnoreCase(v, "sum")) {
        a->agg = Agg::kSum;
      } else if (EqualsIgnoreCase(v, "min")) {
        a->agg = Agg::kMin;
      } else if (EqualsIgnoreCase(v, "max")) {
        a->agg = Agg::kMax;
      } else {
        a->option_error = std::string(err::kSyntax);
        return;
      }
      j += 2;
    } else if (!a->store && !a->card_only && EqualsIgnoreCase(o, "withscores")) {
      a->withscores = true;
      ++j;
    } else if (a->card_only && remaining >= 2 && EqualsIgnoreCase(o, "limit")) {
      if (!zset::ParseLong(args[j + 1], &a->limit) || a->limit < 0) {
        a->option_error = "ERR LIMIT can't be negative";
        return;
      }
      j += 2;
    } else {
      a->option_error = std::string(err::kSyntax);
      return;
    }
  }
}

// A source's contents copied off its shard.
struct KeyData {
  enum Status : uint8_t { kMissing, kZSet, kSet, kWrongType };
  Status status = kMissing;
  zset::Elems elems;
};

// The members of a set as a KeyData (score 1). A set hands out members that may live only
// during its ForEach callback (intsets format them), so they are copied.
std::unique_ptr<KeyData> CopySet(const SetObject& s) {
  auto d = std::make_unique<KeyData>();
  d->status = KeyData::kSet;
  d->elems.reserve(s.size());
  s.ForEach([&](std::string_view m) { d->elems.emplace_back(std::string(m), 1.0); });
  return d;
}

// One input: a live sorted set (on this shard) or a copy (a set, or a source on another shard).
struct Source {
  const ZSetObject* z = nullptr;
  const KeyData* d = nullptr;
  std::unique_ptr<KeyData> owned;
  std::string_view key;
  double weight = 1;
  std::unique_ptr<absl::flat_hash_map<std::string_view, double>> index;  // for d

  size_t size() const {
    if (z) return z->size();
    return d ? d->elems.size() : 0;
  }
  template <class Fn>
  void ForEach(Fn&& fn) const {
    if (z) {
      for (ZSetObject::Iterator it = z->Seek(0); it.valid(); it.Next()) fn(it.member(), it.score());
    } else if (d) {
      for (const auto& [m, sc] : d->elems) fn(std::string_view(m), sc);
    }
  }
  bool Find(std::string_view m, double* score) {
    if (z) return z->Score(m, score);
    if (d == nullptr) return false;
    if (!index) {
      index = std::make_unique<absl::flat_hash_map<std::string_view, double>>();
      index->reserve(d->elems.size());
      for (const auto& [mem, sc] : d->elems) index->emplace(mem, sc);
    }
    auto it = index->find(m);
    if (it == index->end()) return false;
    *score = it->second;
    return true;
  }
};

void Aggregate(double* target, double val, Agg agg) {
  switch (agg) {
    case Agg::kSum:
      *target = *target + val;
      if (std::isnan(*target)) *target = 0.0;  // inf + -inf
      break;
    case Agg::kMin: *target = val < *target ? val : *target; break;
    case Agg::kMax: *target = val > *target ? val : *target; break;
  }
}

struct Result {
  zset::ElemViews elems;  // ascending
  size_t max_len = 0;     // as Redis measures it for the encoding choice
  int64_t cardinality = 0;
};

void SortElems(zset::ElemViews* v) {
  std::sort(v->begin(), v->end(), [](const auto& a, const auto& b) {
    return ZCompare(a.second, a.first, b.second, b.first) < 0;
  });
}

void Union(std::vector<Source>& src, Agg agg, Result* r) {
  std::stable_sort(src.begin(), src.end(),
                   [](const Source& a, const Source& b) { return a.size() < b.size(); });
  absl::flat_hash_map<std::string_view, double> acc;
  if (!src.empty()) acc.reserve(src.back().size());
  for (Source& s : src) {
    if (s.size() == 0) continue;
    s.ForEach([&](std::string_view m, double sc) {
      double score = s.weight * sc;
      if (std::isnan(score)) score = 0;
      auto [it, inserted] = acc.try_emplace(m, score);
      if (!inserted) Aggregate(&it->second, score, agg);
    });
  }
  r->elems.reserve(acc.size());
  for (const auto& [m, sc] : acc) {
    r->elems.emplace_back(m, sc);
    r->max_len = std::max(r->max_len, m.size());
  }
  SortElems(&r->elems);
}

void Inter(std::vector<Source>& src, Agg agg, bool card_only, int64_t limit, Result* r) {
  std::stable_sort(src.begin(), src.end(),
                   [](const Source& a, const Source& b) { return a.size() < b.size(); });
  if (src[0].size() == 0) return;
  bool done = false;
  src[0].ForEach([&](std::string_view m, double sc) {
    if (done) return;
    double score = src[0].weight * sc;
    if (std::isnan(score)) score = 0;
    size_t j = 1;
    for (; j < src.size(); ++j) {
      double value;
      if (src[j].key == src[0].key) {
        value = sc * src[j].weight;
        Aggregate(&score, value, agg);
      } else if (src[j].Find(m, &value)) {
        value *= src[j].weight;
        Aggregate(&score, value, agg);
      } else {
        break;
      }
    }
    if (j < src.size()) return;
    if (card_only) {
      ++r->cardinality;
      if (limit && r->cardinality >= limit) done = true;
    } else {
      r->elems.emplace_back(m, score);
      r->max_len = std::max(r->max_len, m.size());
    }
  });
  SortElems(&r->elems);
}

void Diff(std::vector<Source>& src, Result* r) {
  if (src[0].size() == 0) return;
  // Redis's zsetChooseDiffAlgorithm: the choice only shows in the encoding of a stored result
  // (algorithm 2 measures every member of the first set).
  int64_t algo_one = 0, algo_two = 0;
  for (size_t j = 0; j < src.size(); ++j) {
    if (j > 0 && src[j].key == src[0].key) return;  // everything would be removed
    algo_one += static_cast<int64_t>(src[0].size());
    algo_two += static_cast<int64_t>(src[j].size());
  }
  algo_one /= 2;
  bool measure_all = algo_one > algo_two;
  src[0].ForEach([&](std::string_view m, double sc) {
    if (measure_all) r->max_len = std::max(r->max_len, m.size());
    for (size_t j = 1; j < src.size(); ++j) {
      double v;
      if (src[j].Find(m, &v)) return;
    }
    r->elems.emplace_back(m, sc);
    if (!measure_all) r->max_len = std::max(r->max_len, m.size());
  });
  SortElems(&r->elems);
}

void Compute(const SetOpArgs& a, std::vector<Source>& src, Result* r) {
  for (size_t i = 0; i < src.size(); ++i) src[i].weight = a.weights[i];
  switch (a.op) {
    case Op::kUnion: return Union(src, a.agg, r);
    case Op::kInter: return Inter(src, a.agg, a.card_only, a.limit, r);
    case Op::kDiff: return Diff(src, r);
  }
}

void ReplyResult(ReplyBuilder& rb, const SetOpArgs& a, const Result& r) {
  if (a.card_only) return rb.Integer(r.cardinality);
  zset::ReplyElems(rb, r.elems, a.withscores);
}

// ---- one shard

void SetOpCommand(CmdArgs args, CmdCtx& ctx, SetOpArgs a) {
  if (std::string e = ParseNumKeys(args, ctx, &a); !e.empty()) return ctx.rb->Error(e);
  std::vector<Source> src(static_cast<size_t>(a.numkeys));
  for (size_t i = 0; i < src.size(); ++i) {
    std::string_view key = args[a.first_key + i];
    src[i].key = key;
    KeyEntry* e = ctx.db().Find(key, ctx.now_ms);
    ++(e ? ctx.shard().stats().keyspace_hits : ctx.shard().stats().keyspace_misses);
    if (e == nullptr) continue;
    if (e->value.type() == ValueType::kZSet) {
      src[i].z = e->value.As<ZSetObject>();
    } else if (e->value.type() == ValueType::kSet) {
      src[i].owned = CopySet(*e->value.As<SetObject>());
      src[i].d = src[i].owned.get();
    } else {
      return ctx.rb->Error(err::kWrongType);
    }
  }
  ParseOptions(args, &a);
  if (!a.option_error.empty()) return ctx.rb->Error(a.option_error);
  Result r;
  Compute(a, src, &r);
  if (!a.store) return ReplyResult(*ctx.rb, a, r);
  // The result points into the sources; StoreResult copies it before replacing the key.
  zset::StoreResult(ctx, args[1], r.elems, r.max_len);
  ctx.rb->Integer(static_cast<int64_t>(r.elems.size()));
}

// ---- across shards

using KeyList = std::vector<std::pair<size_t, std::string>>;  // (source index, key)

KeyData FetchKey(CmdCtx& c, const std::string& key) {
  KeyData d;
  KeyEntry* e = c.db().Find(key, c.now_ms);
  ++(e ? c.shard().stats().keyspace_hits : c.shard().stats().keyspace_misses);
  if (e == nullptr) return d;
  if (e->value.type() == ValueType::kZSet) {
    d.status = KeyData::kZSet;
    const ZSetObject* z = e->value.As<ZSetObject>();
    d.elems.reserve(z->size());
    for (ZSetObject::Iterator it = z->Seek(0); it.valid(); it.Next()) {
      d.elems.emplace_back(std::string(it.member()), it.score());
    }
  } else if (e->value.type() == ValueType::kSet) {
    d = std::move(*CopySet(*e->value.As<SetObject>()));
  } else {
    d.status = KeyData::kWrongType;
  }
  return d;
}

using Fetch = std::shared_ptr<std::vector<std::pair<size_t, KeyData>>>;

// Phase 2 of a cross-shard *STORE: writes the result on the destination's shard and replies.
void StoreOnShard(const CmdCtx& base, const std::string& dst, const Result& r,
                  PendingReply* pending) {
  auto owned = std::make_shared<zset::Elems>();
  owned->reserve(r.elems.size());
  for (const auto& [m, s] : r.elems) owned->emplace_back(std::string(m), s);
  std::shared_ptr<const zset::Elems> res = std::move(owned);
  size_t max_len = r.max_len;
  CmdCtx c = zset::NextHop(base);
  zset::OnKeyShard<int64_t>(
      c, dst,
      [dst, res, max_len](CmdCtx& s) {
        zset::StoreResult(s, dst, *res, max_len);
        return static_cast<int64_t>(res->size());
      },
      [pending](int64_t& n) { pending->Finish([n](ReplyBuilder& rb) { rb.Integer(n); }); });
}

// Back on the coordinator with every source's copy: check, compute, reply or store.
void FinishSetOp(const CmdCtx& base, std::shared_ptr<const SetOpArgs> args,
                 const std::vector<std::string>& names, const std::string& dst,
                 std::vector<Fetch>& parts, PendingReply* pending) {
  const SetOpArgs& a = *args;
  std::vector<KeyData> data(static_cast<size_t>(a.numkeys));
  for (Fetch& f : parts) {
    for (auto& [idx, d] : *f) data[idx] = std::move(d);
  }
  for (const KeyData& d : data) {
    if (d.status == KeyData::kWrongType) {
      return pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
    }
  }
  if (!a.option_error.empty()) {
    return pending->Finish([args](ReplyBuilder& rb) { rb.Error(args->option_error); });
  }
  std::vector<Source> src(data.size());
  for (size_t i = 0; i < src.size(); ++i) {
    if (data[i].status != KeyData::kMissing) src[i].d = &data[i];
    src[i].key = names[i];  // the same name is the same source (Redis compares objects)
  }
  Result r;
  Compute(a, src, &r);
  if (a.store) return StoreOnShard(base, dst, r, pending);
  // Finish writes the reply before returning, while `r`'s views are valid.
  pending->Finish([&a, &r](ReplyBuilder& rb) { ReplyResult(rb, a, r); });
}

void MultiSetOp(CmdArgs args, CmdCtx& ctx, SetOpArgs a) {
  if (std::string e = ParseNumKeys(args, ctx, &a); !e.empty()) {
    return ctx.conn->Reply().Error(e);
  }
  ParseOptions(args, &a);
  Engine& eng = ctx.svc->engine();
  auto per_shard = std::make_shared<std::vector<KeyList>>(eng.size());
  auto names = std::make_shared<std::vector<std::string>>();
  for (size_t i = 0; i < static_cast<size_t>(a.numkeys); ++i) {
    std::string_view key = args[a.first_key + i];
    (*per_shard)[eng.ShardOf(key)].emplace_back(i, std::string(key));
    names->emplace_back(key);
  }
  std::vector<int> shards;
  for (int s = 0; s < eng.size(); ++s) {
    if (!(*per_shard)[s].empty()) shards.push_back(s);
  }
  std::shared_ptr<const std::vector<KeyList>> keys = std::move(per_shard);
  auto shared_args = std::make_shared<const SetOpArgs>(std::move(a));
  std::string dst = shared_args->store ? std::string(args[1]) : std::string();
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/shared_args->store);
  CmdCtx base = ctx;
  ctx.svc->RunOnShards<Fetch>(
      ctx, shards,
      [keys](CmdCtx& c) {
        auto out = std::make_shared<std::vector<std::pair<size_t, KeyData>>>();
        for (const auto& [idx, key] : (*keys)[c.worker->id()]) {
          out->emplace_back(idx, FetchKey(c, key));
        }
        return out;
      },
      [base, shared_args, names, dst, pending](std::vector<Fetch>& parts) {
        FinishSetOp(base, shared_args, *names, dst, parts, pending);
      });
}

void NumKeysAt1(CmdArgs args, std::vector<size_t>* keys) { zset::NumKeysGetKeys(args, 0, 1, keys); }
void NumKeysAt2(CmdArgs args, std::vector<size_t>* keys) { zset::NumKeysGetKeys(args, 1, 2, keys); }

SetOpArgs Mode(Op op, bool store, bool card_only = false) {
  SetOpArgs a;
  a.op = op;
  a.store = store;
  a.card_only = card_only;
  return a;
}

void CmdZUnion(CmdArgs x, CmdCtx& c) { SetOpCommand(x, c, Mode(Op::kUnion, false)); }
void CmdZInter(CmdArgs x, CmdCtx& c) { SetOpCommand(x, c, Mode(Op::kInter, false)); }
void CmdZDiff(CmdArgs x, CmdCtx& c) { SetOpCommand(x, c, Mode(Op::kDiff, false)); }
void CmdZUnionStore(CmdArgs x, CmdCtx& c) { SetOpCommand(x, c, Mode(Op::kUnion, true)); }
void CmdZInterStore(CmdArgs x, CmdCtx& c) { SetOpCommand(x, c, Mode(Op::kInter, true)); }
void CmdZDiffStore(CmdArgs x, CmdCtx& c) { SetOpCommand(x, c, Mode(Op::kDiff, true)); }
void CmdZInterCard(CmdArgs x, CmdCtx& c) { SetOpCommand(x, c, Mode(Op::kInter, false, true)); }
void MultiZUnion(CmdArgs x, CmdCtx& c) { MultiSetOp(x, c, Mode(Op::kUnion, false)); }
void MultiZInter(CmdArgs x, CmdCtx& c) { MultiSetOp(x, c, Mode(Op::kInter, false)); }
void MultiZDiff(CmdArgs x, CmdCtx& c) { MultiSetOp(x, c, Mode(Op::kDiff, false)); }
void MultiZUnionStore(CmdArgs x, CmdCtx& c) { MultiSetOp(x, c, Mode(Op::kUnion, true)); }
void MultiZInterStore(CmdArgs x, CmdCtx& c) { MultiSetOp(x, c, Mode(Op::kInter, true)); }
void MultiZDiffStore(CmdArgs x, CmdCtx& c) { MultiSetOp(x, c, Mode(Op::kDiff, true)); }
void MultiZInterCard(CmdArgs x, CmdCtx& c) { MultiSetOp(x, c, Mode(Op::kInter, false, true)); }

CommandSpec ReadRow(const char* name, CmdHandler h, CmdHandler m) {
  CommandSpec s = Cmd(name, -3, kCmdReadOnly, 0, 0, 0, "read sortedset slow", h, m);
  s.getkeys = NumKeysAt1;
  s.key_specs = {KeySpec{"RO access", 1, nullptr, true, 0, 1, 1}};
  return s;
}

CommandSpec StoreRow(const char* name, CmdHandler h, CmdHandler m) {
  CommandSpec s = Cmd(name, -4, kCmdWrite | kCmdDenyOom, 1, 1, 1, "write sortedset slow", h, m);
  s.getkeys = NumKeysAt2;
  s.key_specs = {KeySpec{"OW update", 1}, KeySpec{"RO access", 2, nullptr, true, 0, 1, 1}};
  return s;
}

}  // namespace

std::vector<CommandSpec> ZSetSetOpCommands() {
  return {
      ReadRow("zunion", CmdZUnion, MultiZUnion),
      ReadRow("zinter", CmdZInter, MultiZInter),
      ReadRow("zdiff", CmdZDiff, MultiZDiff),
      ReadRow("zintercard", CmdZInterCard, MultiZInterCard),
      StoreRow("zunionstore", CmdZUnionStore, MultiZUnionStore),
      StoreRow("zinterstore", CmdZInterStore, MultiZInterStore),
      StoreRow("zdiffstore", CmdZDiffStore, MultiZDiffStore),
  };
}

}  // namespace kora
