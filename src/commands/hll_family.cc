// HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST. A sketch is a plain string
// value in Redis's byte representation (core/hyperloglog.h), so string commands see the same
// bytes Redis would show.
//
// PFCOUNT and PFMERGE over keys on several shards: each shard merges its own keys' registers
// (stopping at its first bad key), the coordinator takes the error of the earliest bad key in
// argument order, or merges the shards' registers; PFMERGE then writes the destination on its
// shard in a second hop (barrier held). Multi-key PFCOUNT never writes a cached cardinality
// back, as in Redis.
#include <absl/functional/any_invocable.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "core/hyperloglog.h"

namespace kora {
namespace {

constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorrupt = "INVALIDOBJ Corrupted HLL object detected";

using Registers = std::vector<uint8_t>;

// hll-sparse-max-bytes, cached per thread and re-read after a CONFIG change.
size_t SparseMaxBytes(CmdCtx& ctx) {
  struct Cache {
    const ConfigStore* store = nullptr;
    uint64_t generation = ~uint64_t{0};
    size_t value = hll::kDefaultSparseMaxBytes;
  };
  thread_local Cache cache;
  ConfigStore& c = ctx.svc->config();
  uint64_t gen = c.generation();
  if (cache.store != &c || cache.generation != gen) {
    int64_t v = c.Has("hll-sparse-max-bytes") ? c.IntValue("hll-sparse-max-bytes")
                                              : static_cast<int64_t>(hll::kDefaultSparseMaxBytes);
    cache.value = v < 0 ? 0 : static_cast<size_t>(v);
    cache.store = &c;
    cache.generation = gen;
  }
  return cache.value;
}

enum class Status { kOk, kWrongType, kNotHll, kCorrupt };

std::string_view StatusText(Status s) {
  switch (s) {
    case Status::kWrongType:
      return err::kWrongType;
    case Status::kNotHll:
      return kNotHll;
    case Status::kCorrupt:
      return kCorrupt;
    case Status::kOk:
      break;
  }
  return "";
}

// Redis's isHLLObjectOrReply, without the reply.
Status CheckHll(const Value& v) {
  if (!v.is_string()) return Status::kWrongType;
  std::string scratch;
  return hll::LooksValid(v.StrView(&scratch)) ? Status::kOk : Status::kNotHll;
}

// The stored sketch of a checked entry, made raw for in-place changes (dbUnshareStringValue).
std::string& Sketch(KeyEntry* e) { return e->value.MutableRaw(); }

// Merges the sketches of `keys` (looked up as reads) into `max` in order, stopping at the first
// bad key, whose position in `keys` goes to *bad.
Status MergeKeys(CmdCtx& ctx, const std::vector<std::string_view>& keys, uint8_t* max,
                 bool* any_dense, size_t* bad) {
  ShardStats& st = ctx.shard().stats();
  for (size_t i = 0; i < keys.size(); ++i) {
    KeyEntry* e = ctx.db().Find(keys[i], ctx.now_ms);
    if (e == nullptr) {
      ++st.keyspace_misses;
      continue;
    }
    ++st.keyspace_hits;
    Status s = CheckHll(e->value);
    std::string scratch;
    std::string_view bytes = e->value.StrView(&scratch);
    if (s == Status::kOk && !hll::MergeInto(bytes, max)) s = Status::kCorrupt;
    if (s != Status::kOk) {
      *bad = i;
      return s;
    }
    if (hll::EncodingOf(bytes) == hll::kDense) *any_dense = true;
  }
  return Status::kOk;
}

// Writes PFMERGE's result into `dst` on this shard. The destination is checked and merged
// again: harmless when it was among the merged keys a moment ago, and right when another
// client changed it between the hops of a cross-shard merge.
Status StoreMerge(CmdCtx& ctx, std::string_view dst, Registers& max, bool use_dense) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(dst, ctx.now_ms);
  if (e == nullptr) {
    e = db.Insert(dst, Value::RawString(hll::CreateEmpty()));
  } else {
    Status s = CheckHll(e->value);
    if (s != Status::kOk) return s;
    std::string& cur = Sketch(e);
    if (!hll::MergeInto(cur, max.data())) return Status::kCorrupt;
    if (hll::EncodingOf(cur) == hll::kDense) use_dense = true;
  }
  if (!hll::StoreMerged(&Sketch(e), max.data(), use_dense, SparseMaxBytes(ctx))) {
    return Status::kCorrupt;
  }
  NotifyKeyspaceEvent(ctx, kNotifyString, "pfadd", dst);
  return Status::kOk;
}

std::vector<std::string_view> KeyViews(CmdArgs args, size_t from) {
  return std::vector<std::string_view>(args.begin() + from, args.end());
}

void CmdPfAdd(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  KeyEntry* e = db.Find(args[1], ctx.now_ms);
  int updated = 0;
  if (e == nullptr) {
    e = db.Insert(args[1], Value::RawString(hll::CreateEmpty()));
    updated = 1;
  } else if (Status s = CheckHll(e->value); s != Status::kOk) {
    ctx.rb->Error(StatusText(s));
    return;
  }
  std::string& hll = Sketch(e);
  int r = hll::AddMany(&hll, args.subspan(2), SparseMaxBytes(ctx));
  if (r < 0) {
    ctx.rb->Error(kCorrupt);
    return;
  }
  updated += r;
  if (updated != 0) {
    hll::InvalidateCache(&hll);
    NotifyKeyspaceEvent(ctx, kNotifyString, "pfadd", args[1]);
  }
  ctx.rb->Integer(updated != 0 ? 1 : 0);
}

// PFCOUNT key: the cached cardinality, or a fresh estimate cached in the header.
void CountOne(std::string_view key, CmdCtx& ctx) {
  KeyEntry* e = ctx.db().Find(key, ctx.now_ms);
  ShardStats& st = ctx.shard().stats();
  if (e == nullptr) {
    ++st.keyspace_misses;
    ctx.rb->Integer(0);
    return;
  }
  ++st.keyspace_hits;
  if (Status s = CheckHll(e->value); s != Status::kOk) {
    ctx.rb->Error(StatusText(s));
    return;
  }
  std::string& hll = Sketch(e);
  ctx.db().NoteResized(e);  // Sketch() may have moved the bytes into a growable string
  uint64_t card;
  if (!hll::CachedCardinality(hll, &card)) {
    bool invalid = false;
    card = hll::Count(hll, &invalid);
    if (invalid) {
      ctx.rb->Error(kCorrupt);
      return;
    }
    hll::SetCachedCardinality(&hll, card);
    ctx.db().NoteWrite(e);  // Redis signals the key modified when it caches the estimate
  }
  ctx.rb->Integer(static_cast<int64_t>(card));
}

void CmdPfCount(CmdArgs args, CmdCtx& ctx) {
  if (args.size() == 2) {
    CountOne(args[1], ctx);
    return;
  }
  Registers max(hll::kRegisters);
  bool dense = false;
  size_t bad;
  Status s = MergeKeys(ctx, KeyViews(args, 1), max.data(), &dense, &bad);
  if (s != Status::kOk) {
    ctx.rb->Error(StatusText(s));
    return;
  }
  ctx.rb->Integer(static_cast<int64_t>(hll::CountRegisters(max.data())));
}

void CmdPfMerge(CmdArgs args, CmdCtx& ctx) {
  Registers max(hll::kRegisters);
  bool dense = false;
  size_t bad;
  Status s = MergeKeys(ctx, KeyViews(args, 1), max.data(), &dense, &bad);
  if (s == Status::kOk) s = StoreMerge(ctx, args[1], max, dense);
  if (s != Status::kOk) {
    ctx.rb->Error(StatusText(s));
    return;
  }
  ctx.rb->Ok();
}

// One shard's part of a cross-shard merge.
struct ShardMerge {
  Status status = Status::kOk;
  size_t bad = 0;  // argument position of the bad key
  bool dense = false;
  Registers max;
};

// Merges the sketches named by args[1..] shard by shard, then calls done(status, max, dense)
// on the coordinator, with the error of the first bad key in argument order.
void MergeAcrossShards(CmdArgs args, CmdCtx& ctx,
                       absl::AnyInvocable<void(Status, Registers&, bool)> done) {
  Engine& eng = ctx.svc->engine();
  auto per = std::make_shared<std::vector<std::vector<size_t>>>(eng.size());
  auto names = std::make_shared<std::vector<std::string>>(args.begin(), args.end());
  std::vector<int> shards;
  for (size_t i = 1; i < args.size(); ++i) (*per)[eng.ShardOf(args[i])].push_back(i);
  for (int s = 0; s < eng.size(); ++s) {
    if (!(*per)[s].empty()) shards.push_back(s);
  }
  std::shared_ptr<const std::vector<std::vector<size_t>>> idx = per;
  std::shared_ptr<const std::vector<std::string>> keys = names;
  ctx.svc->RunOnShards<ShardMerge>(
      ctx, shards,
      [idx, keys](CmdCtx& c) {
        ShardMerge r;
        r.max.assign(hll::kRegisters, 0);
        const std::vector<size_t>& mine = (*idx)[c.worker->id()];
        std::vector<std::string_view> views;
        for (size_t i : mine) views.emplace_back((*keys)[i]);
        size_t bad = 0;
        r.status = MergeKeys(c, views, r.max.data(), &r.dense, &bad);
        if (r.status != Status::kOk) r.bad = mine[bad];
        return r;
      },
      [done = std::move(done)](std::vector<ShardMerge>& parts) mutable {
        const ShardMerge* first_bad = nullptr;
        for (const ShardMerge& p : parts) {
          if (p.status != Status::kOk && (first_bad == nullptr || p.bad < first_bad->bad)) {
            first_bad = &p;
          }
        }
        Registers max(hll::kRegisters);
        bool dense = false;
        if (first_bad != nullptr) {
          done(first_bad->status, max, dense);
          return;
        }
        for (const ShardMerge& p : parts) {
          for (int i = 0; i < hll::kRegisters; ++i) max[i] = std::max(max[i], p.max[i]);
          dense |= p.dense;
        }
        done(Status::kOk, max, dense);
      });
}

void MultiPfCount(CmdArgs args, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  MergeAcrossShards(args, ctx, [pending](Status s, Registers& max, bool) {
    if (s != Status::kOk) {
      pending->Finish([s](ReplyBuilder& rb) { rb.Error(StatusText(s)); });
      return;
    }
    auto card = static_cast<int64_t>(hll::CountRegisters(max.data()));
    pending->Finish([card](ReplyBuilder& rb) { rb.Integer(card); });
  });
}

void MultiPfMerge(CmdArgs args, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  CmdCtx coord = ctx;  // for the write hop; the connection stays referenced by `pending`
  std::string dst(args[1]);
  MergeAcrossShards(args, ctx, [pending, coord, dst](Status s, Registers& max, bool dense) {
    if (s != Status::kOk) {
      pending->Finish([s](ReplyBuilder& rb) { rb.Error(StatusText(s)); });
      return;
    }
    auto regs = std::make_shared<Registers>(std::move(max));
    CmdCtx c = coord;
    int target = c.svc->engine().ShardOf(dst);
    c.svc->RunOnShards<Status>(
        c, {target}, [regs, dst, dense](CmdCtx& sc) { return StoreMerge(sc, dst, *regs, dense); },
        [pending](std::vector<Status>& r) {
          Status st = r[0];
          pending->Finish([st](ReplyBuilder& rb) {
            st == Status::kOk ? rb.Ok() : rb.Error(StatusText(st));
          });
        });
  });
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
void CmdPfDebug(CmdArgs args, CmdCtx& ctx) {
  KeyEntry* e = ctx.db().Find(args[2], ctx.now_ms);
  if (e == nullptr) {
    ctx.rb->Error("ERR The specified key does not exist");
    return;
  }
  if (Status s = CheckHll(e->value); s != Status::kOk) {
    ctx.rb->Error(StatusText(s));
    return;
  }
  std::string& hll = Sketch(e);
  bool sparse = hll::EncodingOf(hll) == hll::kSparse;
  std::string_view sub = args[1];
  if (EqualsIgnoreCase(sub, "getreg")) {
    if (sparse && !hll::SparseToDense(&hll)) {
      ctx.rb->Error(kCorrupt);
      return;
    }
    ctx.rb->ArrayHeader(hll::kRegisters);
    for (int i = 0; i < hll::kRegisters; ++i) ctx.rb->Integer(hll::DenseRegister(hll, i));
  } else if (EqualsIgnoreCase(sub, "decode")) {
    if (!sparse) {
      ctx.rb->Error("ERR HLL encoding is not sparse");
      return;
    }
    ctx.rb->Bulk(hll::DecodeSparse(hll));
  } else if (EqualsIgnoreCase(sub, "encoding")) {
    ctx.rb->SimpleString(sparse ? "sparse" : "dense");
  } else if (EqualsIgnoreCase(sub, "todense")) {
    if (sparse && !hll::SparseToDense(&hll)) {
      ctx.rb->Error(kCorrupt);
      return;
    }
    ctx.rb->Integer(sparse ? 1 : 0);
  } else {
    ctx.rb->Error("ERR Unknown PFDEBUG subcommand '" + std::string(sub) + "'");
  }
}

void CmdPfSelfTest(CmdArgs, CmdCtx& ctx) {
  std::string err = hll::SelfTest(SparseMaxBytes(ctx), std::random_device{}());
  err.empty() ? ctx.rb->Ok() : ctx.rb->Error(err);
}

}  // namespace

void RegisterHllFamily(Service& svc) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  svc.Register({
      Cmd("pfadd", -2, kW | kCmdFast, 1, 1, 1, "write hyperloglog fast", CmdPfAdd),
      Cmd("pfcount", -2, kCmdReadOnly, 1, -1, 1, "read hyperloglog slow", CmdPfCount,
          MultiPfCount),
      Cmd("pfmerge", -2, kW, 1, -1, 1, "write hyperloglog slow", CmdPfMerge, MultiPfMerge),
      Cmd("pfdebug", 3, kW | kCmdAdmin, 2, 2, 1, "write hyperloglog admin slow dangerous",
          CmdPfDebug),
      Cmd("pfselftest", 1, kCmdAdmin, 0, 0, 0, "hyperloglog admin slow dangerous",
          CmdPfSelfTest),
  });
}

}  // namespace kora
