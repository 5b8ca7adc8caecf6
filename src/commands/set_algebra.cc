// SUNION SINTER SDIFF, their *STORE forms and SINTERCARD, with Redis 7.0's algorithms (which
// decide the result's encoding and, for intsets, its order).
//
// When every key lives on one shard the command runs there on the sets in place. Otherwise the
// coordinator copies each set out of its shard (one hop per shard), computes on its own thread
// and, for *STORE, writes the destination on its shard in a second hop (barrier held).
#include <absl/functional/any_invocable.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/hash_set_common.h"
#include "commands/service.h"
#include "commands/set_family.h"
#include "core/set_object.h"

namespace kora {
namespace {

enum class SetOp { kUnion, kInter, kDiff };

using Sets = std::vector<const SetObject*>;  // nullptr: a missing key (an empty set)
using Names = std::vector<std::string_view>;

// Redis's sunionDiffGenericCommand: the result accumulates in a set that starts as an intset.
std::unique_ptr<SetObject> UnionDiff(SetOp op, Sets sets, const Names& keys, size_t max) {
  auto dst = std::make_unique<SetObject>();
  bool sameset = false;
  for (size_t j = 1; j < sets.size(); ++j) {
    if (sets[j] != nullptr && sets[0] != nullptr && keys[j] == keys[0]) sameset = true;
  }
  if (op == SetOp::kUnion) {
    for (const SetObject* s : sets) {
      if (s != nullptr) s->ForEach([&](std::string_view m) { dst->Add(m, max); });
    }
    return dst;
  }
  if (sets[0] == nullptr || sameset) return dst;
  // Algorithm 1 walks the first set probing the others; algorithm 2 adds the first set and
  // removes the others. Redis picks by estimated work, favouring 1.
  int64_t one = 0, two = 0;
  for (const SetObject* s : sets) {
    if (s == nullptr) continue;
    one += static_cast<int64_t>(sets[0]->size());
    two += static_cast<int64_t>(s->size());
  }
  one /= 2;
  if (one <= two) {
    std::stable_sort(sets.begin() + 1, sets.end(), [](const SetObject* a, const SetObject* b) {
      if (a && b) return a->size() > b->size();
      return a != nullptr;
    });
    sets[0]->ForEach([&](std::string_view m) {
      for (size_t j = 1; j < sets.size(); ++j) {
        if (sets[j] != nullptr && sets[j]->Contains(m)) return;
      }
      dst->Add(m, max);
    });
    return dst;
  }
  for (size_t j = 0; j < sets.size(); ++j) {
    if (sets[j] == nullptr) continue;
    sets[j]->ForEach([&](std::string_view m) {
      if (j == 0) {
        dst->Add(m, max);
      } else {
        dst->Remove(m);
      }
    });
    if (dst->size() == 0) break;
  }
  return dst;
}

// Calls emit(member) for the intersection, in the order of the smallest set (Redis's), up to
// `limit` members (0: all). Every set must exist.
template <class Fn>
void Intersect(Sets sets, uint64_t limit, Fn&& emit) {
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetObject* a, const SetObject* b) { return a->size() < b->size(); });
  uint64_t n = 0;
  sets[0]->ForEachWhile([&](std::string_view m) {
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] != sets[0] && !sets[j]->Contains(m)) return true;
    }
    emit(m);
    return limit == 0 || ++n < limit;
  });
}

bool AnyMissing(const Sets& sets) {
  return std::find(sets.begin(), sets.end(), nullptr) != sets.end();
}

// The result set of a *STORE command.
std::unique_ptr<SetObject> ComputeSet(SetOp op, const Sets& sets, const Names& keys, size_t max) {
  if (op != SetOp::kInter) return UnionDiff(op, sets, keys, max);
  auto dst = std::make_unique<SetObject>();
  if (!AnyMissing(sets)) Intersect(sets, 0, [&](std::string_view m) { dst->Add(m, max); });
  return dst;
}

void ReplyOp(ReplyBuilder& rb, SetOp op, const Sets& sets, const Names& keys, size_t max) {
  if (op != SetOp::kInter) {
    std::unique_ptr<SetObject> r = UnionDiff(op, sets, keys, max);
    rb.SetHeader(static_cast<int64_t>(r->size()));
    r->ForEach([&](std::string_view m) { rb.Bulk(m); });
    return;
  }
  if (AnyMissing(sets)) {
    rb.SetHeader(0);
    return;
  }
  std::string body;
  ReplyBuilder tmp(&body, rb.resp());
  int64_t n = 0;
  Intersect(sets, 0, [&](std::string_view m) {
    tmp.Bulk(m);
    ++n;
  });
  rb.SetHeader(n);
  rb.Raw(body);
}

int64_t InterCard(const Sets& sets, uint64_t limit) {
  if (AnyMissing(sets)) return 0;
  int64_t n = 0;
  Intersect(sets, limit, [&](std::string_view) { ++n; });
  return n;
}

// Writes a *STORE result: an empty result deletes the destination; otherwise it replaces any
// value there (and its TTL). Returns the result's size.
int64_t StoreSet(CmdCtx& ctx, std::string_view dst, std::unique_ptr<SetObject> r) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(dst, ctx.now_ms);
  if (r == nullptr || r->size() == 0) {
    if (e != nullptr) {
      db.Erase(e);
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", dst);
    }
    return 0;
  }
  auto n = static_cast<int64_t>(r->size());
  if (e != nullptr) {
    e->value = Value::Collection(std::move(r));
    db.ClearExpire(e);
  } else {
    db.Insert(dst, Value::Collection(std::move(r)));
  }
  // The event is the command's name: sunionstore, sinterstore or sdiffstore.
  if (ctx.spec) NotifyKeyspaceEvent(ctx, kNotifySet, ctx.spec->name, dst);
  return n;
}

// Looks up sets on this shard; false after replying WRONGTYPE.
bool LookupLocal(CmdCtx& ctx, CmdArgs keys, Sets* sets) {
  for (std::string_view k : keys) {
    bool wrong;
    KeyEntry* e = FindForRead(ctx, k, ValueType::kSet, &wrong);
    if (wrong) return false;
    sets->push_back(e ? e->value.As<SetObject>() : nullptr);
  }
  return true;
}

void RunLocal(CmdArgs args, CmdCtx& ctx, SetOp op, bool store) {
  CmdArgs keys = args.subspan(store ? 2 : 1);
  Sets sets;
  if (!LookupLocal(ctx, keys, &sets)) return;
  Names names(keys.begin(), keys.end());
  size_t max = GetCollectionLimits(ctx).set_max_intset_entries;
  if (!store) {
    ReplyOp(*ctx.rb, op, sets, names, max);
    return;
  }
  std::unique_ptr<SetObject> r = ComputeSet(op, sets, names, max);
  ctx.rb->Integer(StoreSet(ctx, args[1], std::move(r)));
}

// Sets copied out of their shards: one entry per requested key.
struct Fetched {
  bool wrong_type = false;
  std::vector<std::unique_ptr<SetObject>> sets;
};
using Owned = std::vector<std::unique_ptr<SetObject>>;

// Copies the sets named by `keys` from their shards, then calls done(wrong_type, sets) on the
// coordinator's thread (sets[i] is nullptr for a missing key).
void FetchSets(CmdCtx& ctx, std::vector<std::string> keys,
               absl::AnyInvocable<void(bool, Owned&)> done) {
  Engine& eng = ctx.svc->engine();
  auto per = std::make_shared<std::vector<std::vector<size_t>>>(eng.size());
  for (size_t i = 0; i < keys.size(); ++i) (*per)[eng.ShardOf(keys[i])].push_back(i);
  std::vector<int> shards;
  for (int s = 0; s < eng.size(); ++s) {
    if (!(*per)[s].empty()) shards.push_back(s);
  }
  size_t n = keys.size();
  auto names = std::make_shared<const std::vector<std::string>>(std::move(keys));
  std::shared_ptr<const std::vector<std::vector<size_t>>> idx = per;
  ctx.svc->RunOnShards<Fetched>(
      ctx, shards,
      [names, idx](CmdCtx& c) -> Fetched {
        Fetched f;
        ShardStats& st = c.shard().stats();
        for (size_t i : (*idx)[c.worker->id()]) {
          KeyEntry* e = c.db().Find((*names)[i], c.now_ms);
          e ? ++st.keyspace_hits : ++st.keyspace_misses;
          if (e != nullptr && e->value.type() != ValueType::kSet) f.wrong_type = true;
          if (e == nullptr || f.wrong_type) {
            f.sets.emplace_back();
            continue;
          }
          std::unique_ptr<CollectionObject> copy = e->value.collection()->Clone();
          f.sets.emplace_back(static_cast<SetObject*>(copy.release()));
        }
        return f;
      },
      [idx, shards, n, done = std::move(done)](std::vector<Fetched>& results) mutable {
        Owned sets(n);
        bool wrong = false;
        for (size_t k = 0; k < shards.size(); ++k) {
          const std::vector<size_t>& positions = (*idx)[shards[k]];
          for (size_t j = 0; j < positions.size(); ++j) {
            sets[positions[j]] = std::move(results[k].sets[j]);
          }
          wrong |= results[k].wrong_type;
        }
        done(wrong, sets);
      });
}

Sets Views(const Owned& owned) {
  Sets out;
  for (const auto& s : owned) out.push_back(s.get());
  return out;
}

void MultiOp(CmdArgs args, CmdCtx& ctx, SetOp op, bool store) {
  CmdArgs keys = args.subspan(store ? 2 : 1);
  std::vector<std::string> names(keys.begin(), keys.end());
  std::string dst = store ? std::string(args[1]) : std::string();
  size_t max = GetCollectionLimits(ctx).set_max_intset_entries;
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/store);
  CmdCtx coord = ctx;  // for the write hop; the connection stays referenced by `pending`
  std::vector<std::string> fetch = names;
  FetchSets(ctx, std::move(fetch), [=, names = std::move(names)](bool wrong, Owned& owned) mutable {
    if (wrong) {
      pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
      return;
    }
    Sets sets = Views(owned);
    Names views(names.begin(), names.end());
    if (!store) {
      pending->Finish([&](ReplyBuilder& rb) { ReplyOp(rb, op, sets, views, max); });
      return;
    }
    auto result = std::make_shared<std::unique_ptr<SetObject>>(ComputeSet(op, sets, views, max));
    owned.clear();
    int target = coord.svc->engine().ShardOf(dst);
    coord.svc->RunOnShards<int64_t>(
        coord, {target}, [result, dst](CmdCtx& c) { return StoreSet(c, dst, std::move(*result)); },
        [pending](std::vector<int64_t>& r) {
          int64_t v = r[0];
          pending->Finish([v](ReplyBuilder& rb) { rb.Integer(v); });
        });
  });
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]: "" or the error text.
std::string ParseInterCard(CmdArgs args, int64_t* numkeys, uint64_t* limit) {
  int64_t n;
  if (!ParseInt64(args[1], &n) || n < 1) return "ERR numkeys should be greater than 0";
  if (n > static_cast<int64_t>(args.size()) - 2) {
    return "ERR Number of keys can't be greater than number of args";
  }
  *limit = 0;
  for (size_t j = 2 + n; j < args.size(); ++j) {
    size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "limit") && more > 0) {
      int64_t l;
      if (!ParseInt64(args[++j], &l) || l < 0) return "ERR LIMIT can't be negative";
      *limit = static_cast<uint64_t>(l);
    } else {
      return std::string(err::kSyntax);
    }
  }
  *numkeys = n;
  return "";
}

}  // namespace

void CmdSUnion(CmdArgs args, CmdCtx& ctx) { RunLocal(args, ctx, SetOp::kUnion, false); }
void CmdSInter(CmdArgs args, CmdCtx& ctx) { RunLocal(args, ctx, SetOp::kInter, false); }
void CmdSDiff(CmdArgs args, CmdCtx& ctx) { RunLocal(args, ctx, SetOp::kDiff, false); }
void CmdSUnionStore(CmdArgs args, CmdCtx& ctx) { RunLocal(args, ctx, SetOp::kUnion, true); }
void CmdSInterStore(CmdArgs args, CmdCtx& ctx) { RunLocal(args, ctx, SetOp::kInter, true); }
void CmdSDiffStore(CmdArgs args, CmdCtx& ctx) { RunLocal(args, ctx, SetOp::kDiff, true); }
void MultiSUnion(CmdArgs args, CmdCtx& ctx) { MultiOp(args, ctx, SetOp::kUnion, false); }
void MultiSInter(CmdArgs args, CmdCtx& ctx) { MultiOp(args, ctx, SetOp::kInter, false); }
void MultiSDiff(CmdArgs args, CmdCtx& ctx) { MultiOp(args, ctx, SetOp::kDiff, false); }
void MultiSUnionStore(CmdArgs args, CmdCtx& ctx) { MultiOp(args, ctx, SetOp::kUnion, true); }
void MultiSInterStore(CmdArgs args, CmdCtx& ctx) { MultiOp(args, ctx, SetOp::kInter, true); }
void MultiSDiffStore(CmdArgs args, CmdCtx& ctx) { MultiOp(args, ctx, SetOp::kDiff, true); }

void SInterCardKeys(CmdArgs args, std::vector<size_t>* keys) {
  int64_t n;
  if (args.size() < 2 || !ParseInt64(args[1], &n) || n < 1) return;
  if (n > static_cast<int64_t>(args.size()) - 2) return;
  for (int64_t i = 0; i < n; ++i) keys->push_back(static_cast<size_t>(2 + i));
}

void CmdSInterCard(CmdArgs args, CmdCtx& ctx) {
  int64_t numkeys;
  uint64_t limit;
  std::string err = ParseInterCard(args, &numkeys, &limit);
  if (!err.empty()) {
    ctx.rb->Error(err);
    return;
  }
  Sets sets;
  if (!LookupLocal(ctx, args.subspan(2, numkeys), &sets)) return;
  ctx.rb->Integer(InterCard(sets, limit));
}

void MultiSInterCard(CmdArgs args, CmdCtx& ctx) {
  int64_t numkeys;
  uint64_t limit;
  std::string err = ParseInterCard(args, &numkeys, &limit);
  if (!err.empty()) {
    ReplyErrorLater(ctx, err);
    return;
  }
  CmdArgs keys = args.subspan(2, numkeys);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  FetchSets(ctx, std::vector<std::string>(keys.begin(), keys.end()),
            [pending, limit](bool wrong, Owned& owned) {
              if (wrong) {
                pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
                return;
              }
              int64_t n = InterCard(Views(owned), limit);
              pending->Finish([n](ReplyBuilder& rb) { rb.Integer(n); });
            });
}

}  // namespace kora
