// LMOVE RPOPLPUSH LMPOP, with coordinators for keys on different shards.
#include <memory>

#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/list_util.h"
#include "commands/service.h"

namespace kora {
namespace {

bool ParseWhere(std::string_view s, bool* left) {
  if (EqualsIgnoreCase(s, "left")) {
    *left = true;
  } else if (EqualsIgnoreCase(s, "right")) {
    *left = false;
  } else {
    return false;
  }
  return true;
}

// Outcome of one step of a cross-shard move, carried between shards.
struct MoveStep {
  enum State { kMissing, kWrongType, kOk } state = kMissing;
  std::string value;
};

MoveStep CheckList(CmdCtx& c, const std::string& key) {
  MoveStep r;
  KeyEntry* e = c.db().Find(key, c.now_ms);
  if (e == nullptr) return r;
  r.state = e->value.type() == ValueType::kList ? MoveStep::kOk : MoveStep::kWrongType;
  return r;
}

// Same-shard LMOVE: everything happens on this shard.
void MoveLocal(CmdCtx& ctx, std::string_view src, std::string_view dst, bool from_left,
               bool to_left) {
  bool wrong;
  ListObject* s = FindList(ctx, src, &wrong);
  if (wrong) return;
  if (s == nullptr) {
    ctx.rb->Null();
    return;
  }
  KeyEntry* d = ctx.db().Find(dst, ctx.now_ms);
  if (d && d->value.type() != ValueType::kList) {
    ctx.rb->Error(err::kWrongType);
    return;
  }
  std::string v = from_left ? s->PopFront() : s->PopBack();
  bool emptied = s->size() == 0;
  if (emptied) ctx.db().Erase(src);
  ListObject* dl = FindOrCreateList(ctx, dst, &wrong);
  to_left ? dl->PushFront(v) : dl->PushBack(v);
  ctx.rb->Bulk(v);
  NotifyKeyspaceEvent(ctx, kNotifyList, to_left ? "lpush" : "rpush", dst);
  NotifyKeyspaceEvent(ctx, kNotifyList, from_left ? "lpop" : "rpop", src);
  if (emptied) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", src);
  NotifyListPush(ctx, dst);
}

void RunOne(CmdCtx& ctx, int shard, std::function<MoveStep(CmdCtx&)> fn,
            absl::AnyInvocable<void(MoveStep&)> then) {
  ctx.svc->RunOnShards<MoveStep>(ctx, {shard}, std::move(fn),
                                 [then = std::move(then)](std::vector<MoveStep>& r) mutable {
                                   then(r[0]);
                                 });
}

// Cross-shard LMOVE: check source, check destination type, pop, push. Not atomic against
// other clients between the steps (transactions arrive with issue 4); a destination that
// turned into another type meanwhile gets the element back on the source.
void MoveAcross(CmdCtx& ctx, std::string src, std::string dst, bool from_left, bool to_left) {
  Engine& eng = ctx.svc->engine();
  int ss = eng.ShardOf(src), ds = eng.ShardOf(dst);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  CmdCtx base = ctx;
  base.conn = nullptr;
  RunOne(base, ss, [src](CmdCtx& c) { return CheckList(c, src); },
         [=](MoveStep& s1) mutable {
           if (s1.state != MoveStep::kOk) {
             bool wrong = s1.state == MoveStep::kWrongType;
             pending->Finish([wrong](ReplyBuilder& rb) { wrong ? rb.Error(err::kWrongType) : rb.Null(); });
             return;
           }
           RunOne(base, ds, [dst](CmdCtx& c) { return CheckList(c, dst); }, [=](MoveStep& s2) mutable {
             if (s2.state == MoveStep::kWrongType) {
               pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
               return;
             }
             RunOne(base, ss,
                    [src, from_left](CmdCtx& c) {
                      MoveStep r = CheckList(c, src);
                      if (r.state != MoveStep::kOk) return r;
                      ListObject* l = c.db().Find(src, c.now_ms)->value.As<ListObject>();
                      r.value = from_left ? l->PopFront() : l->PopBack();
                      NotifyKeyspaceEvent(c, kNotifyList, from_left ? "lpop" : "rpop", src);
                      if (l->size() == 0) {
                        c.db().Erase(src);
                        NotifyKeyspaceEvent(c, kNotifyGeneric, "del", src);
                      }
                      return r;
                    },
                    [=](MoveStep& s3) mutable {
                      if (s3.state != MoveStep::kOk) {
                        bool wrong = s3.state == MoveStep::kWrongType;
                        pending->Finish([wrong](ReplyBuilder& rb) {
                          wrong ? rb.Error(err::kWrongType) : rb.Null();
                        });
                        return;
                      }
                      std::string v = s3.value;
                      RunOne(base, ds,
                             [dst, v, to_left](CmdCtx& c) {
                               MoveStep r;
                               bool wrong;
                               ReplyBuilder sink(&r.value, 2);
                               c.rb = &sink;
                               ListObject* l = FindOrCreateList(c, dst, &wrong);
                               if (wrong) {
                                 r.state = MoveStep::kWrongType;
                                 return r;
                               }
                               to_left ? l->PushFront(v) : l->PushBack(v);
                               NotifyKeyspaceEvent(c, kNotifyList, to_left ? "lpush" : "rpush",
                                                   dst);
                               NotifyListPush(c, dst);
                               r.state = MoveStep::kOk;
                               return r;
                             },
                             [=](MoveStep& s4) mutable {
                               if (s4.state == MoveStep::kOk) {
                                 pending->Finish([v](ReplyBuilder& rb) { rb.Bulk(v); });
                                 return;
                               }
                               // Put the element back where it came from.
                               RunOne(base, ss,
                                      [src, v, from_left](CmdCtx& c) {
                                        bool wrong;
                                        std::string sink;
                                        ReplyBuilder rb(&sink, 2);
                                        c.rb = &rb;
                                        ListObject* l = FindOrCreateList(c, src, &wrong);
                                        if (l) from_left ? l->PushFront(v) : l->PushBack(v);
                                        return MoveStep{};
                                      },
                                      [pending](MoveStep&) {
                                        pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
                                      });
                             });
                    });
           });
         });
}

void CmdLMove(CmdArgs args, CmdCtx& ctx) {
  bool from_left, to_left;
  if (!ParseWhere(args[3], &from_left) || !ParseWhere(args[4], &to_left)) {
    ctx.rb->Error(err::kSyntax);
    return;
  }
  MoveLocal(ctx, args[1], args[2], from_left, to_left);
}

void MultiLMove(CmdArgs args, CmdCtx& ctx) {
  bool from_left, to_left;
  if (!ParseWhere(args[3], &from_left) || !ParseWhere(args[4], &to_left)) {
    ctx.conn->Reply().Error(err::kSyntax);
    return;
  }
  MoveAcross(ctx, std::string(args[1]), std::string(args[2]), from_left, to_left);
}

void CmdRPopLPush(CmdArgs args, CmdCtx& ctx) { MoveLocal(ctx, args[1], args[2], false, true); }
void MultiRPopLPush(CmdArgs args, CmdCtx& ctx) {
  MoveAcross(ctx, std::string(args[1]), std::string(args[2]), false, true);
}

}  // namespace

// Parses "numkeys key... LEFT|RIGHT [COUNT n]" starting at args[first]. On error writes it
// to *error and returns false.
bool ParseMPop(CmdArgs args, size_t first, std::vector<std::string_view>* keys, bool* left,
               int64_t* count, std::string* error) {
  int64_t numkeys;
  if (!ParseInt64(args[first], &numkeys) || numkeys <= 0) {
    *error = "ERR numkeys should be greater than 0";
    return false;
  }
  size_t where = first + 1 + static_cast<size_t>(numkeys);
  if (numkeys > static_cast<int64_t>(args.size()) || where >= args.size()) {
    *error = std::string(err::kSyntax);
    return false;
  }
  keys->assign(args.begin() + first + 1, args.begin() + where);
  if (!ParseWhere(args[where], left)) {
    *error = std::string(err::kSyntax);
    return false;
  }
  *count = 1;
  bool seen_count = false;
  for (size_t i = where + 1; i < args.size(); i += 2) {
    if (!EqualsIgnoreCase(args[i], "count") || seen_count || i + 1 >= args.size()) {
      *error = std::string(err::kSyntax);
      return false;
    }
    if (!ParseInt64(args[i + 1], count) || *count <= 0) {
      *error = "ERR count should be greater than 0";
      return false;
    }
    seen_count = true;
  }
  return true;
}

void MPopKeys(CmdArgs args, size_t first, std::vector<size_t>* out) {
  int64_t n;
  if (first >= args.size() || !ParseInt64(args[first], &n) || n <= 0) return;
  for (int64_t i = 0; i < n && first + 1 + i < args.size(); ++i) out->push_back(first + 1 + i);
}

// Pops up to `count` from the first non-empty list among keys on this shard, writing the
// LMPOP reply; returns false (nothing written) if none had elements.
bool PopFirstNonEmpty(CmdCtx& ctx, const std::vector<std::string_view>& keys, bool left,
                      int64_t count, bool* wrong) {
  for (auto k : keys) {
    ListObject* l = FindList(ctx, k, wrong);
    if (*wrong) return true;
    if (l == nullptr) continue;
    size_t n = std::min<size_t>(static_cast<size_t>(count), l->size());
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk(k);
    ctx.rb->ArrayHeader(static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) ctx.rb->Bulk(left ? l->PopFront() : l->PopBack());
    NotifyKeyspaceEvent(ctx, kNotifyList, left ? "lpop" : "rpop", k);
    DeleteIfEmpty(ctx, k, l);
    return true;
  }
  return false;
}

namespace {

void CmdLMPop(CmdArgs args, CmdCtx& ctx) {
  std::vector<std::string_view> keys;
  bool left;
  int64_t count;
  std::string error;
  if (!ParseMPop(args, 1, &keys, &left, &count, &error)) {
    ctx.rb->Error(error);
    return;
  }
  bool wrong = false;
  if (!PopFirstNonEmpty(ctx, keys, left, count, &wrong)) ctx.rb->NullArray();
}

// Keys on several shards: try them in order, one shard at a time.
struct MPopState {
  std::vector<std::string> keys;
  bool left;
  int64_t count;
  PendingReply* pending;
  CmdCtx base;
};

struct Popped {
  MoveStep::State state = MoveStep::kMissing;
  std::vector<std::string> values;
};

void MPopTry(std::shared_ptr<MPopState> st, size_t i) {
  if (i == st->keys.size()) {
    st->pending->Finish([](ReplyBuilder& rb) { rb.NullArray(); });
    return;
  }
  std::string key = st->keys[i];
  int shard = st->base.svc->engine().ShardOf(key);
  bool left = st->left;
  int64_t count = st->count;
  st->base.svc->RunOnShards<Popped>(
      st->base, {shard},
      [key, left, count](CmdCtx& c) {
        Popped r;
        std::string sink;
        ReplyBuilder rb(&sink, 2);
        c.rb = &rb;
        bool wrong = false;
        ListObject* l = FindList(c, key, &wrong);
        if (wrong) {
          r.state = MoveStep::kWrongType;
          return r;
        }
        if (l == nullptr) return r;
        size_t n = std::min<size_t>(static_cast<size_t>(count), l->size());
        for (size_t j = 0; j < n; ++j) r.values.push_back(left ? l->PopFront() : l->PopBack());
        NotifyKeyspaceEvent(c, kNotifyList, left ? "lpop" : "rpop", key);
        DeleteIfEmpty(c, key, l);
        r.state = MoveStep::kOk;
        return r;
      },
      [st, i, key](std::vector<Popped>& res) {
        Popped& r = res[0];
        if (r.state == MoveStep::kMissing) {
          MPopTry(st, i + 1);
        } else if (r.state == MoveStep::kWrongType) {
          st->pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
        } else {
          st->pending->Finish([&](ReplyBuilder& rb) {
            rb.ArrayHeader(2);
            rb.Bulk(key);
            rb.ArrayHeader(static_cast<int64_t>(r.values.size()));
            for (const auto& v : r.values) rb.Bulk(v);
          });
        }
      });
}

void MultiLMPop(CmdArgs args, CmdCtx& ctx) {
  std::vector<std::string_view> keys;
  bool left;
  int64_t count;
  std::string error;
  if (!ParseMPop(args, 1, &keys, &left, &count, &error)) {
    ctx.conn->Reply().Error(error);
    return;
  }
  auto st = std::make_shared<MPopState>();
  st->keys.assign(keys.begin(), keys.end());
  st->left = left;
  st->count = count;
  st->pending = new PendingReply(ctx.conn, /*barrier=*/true);
  st->base = ctx;
  st->base.conn = nullptr;
  MPopTry(st, 0);
}

void LMPopKeys(CmdArgs args, std::vector<size_t>* out) { MPopKeys(args, 1, out); }

}  // namespace

void RegisterListMoveCommands(Service& svc) {
  CommandSpec lmpop = Cmd("lmpop", -4, kCmdWrite, 0, 0, 0, "write list slow", CmdLMPop, MultiLMPop);
  lmpop.getkeys = LMPopKeys;
  svc.Register({
      Cmd("lmove", 5, kCmdWrite | kCmdDenyOom, 1, 2, 1, "write list slow", CmdLMove, MultiLMove),
      Cmd("rpoplpush", 3, kCmdWrite | kCmdDenyOom, 1, 2, 1, "write list slow", CmdRPopLPush,
          MultiRPopLPush),
      lmpop,
  });
}

}  // namespace kora
