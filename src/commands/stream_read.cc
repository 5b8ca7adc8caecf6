// XREAD and XREADGROUP, blocking or not, over keys on any shards.
//
// Both run on the connection's thread (kCmdConn) and reach the keys' shards themselves:
//  - all keys on one shard: one step there checks every key (WRONGTYPE, NOGROUP, bad IDs, in
//    argument order as Redis does) and serves the ones with data, atomically;
//  - keys on several shards: XREAD checks and reads each shard's keys in one hop; XREADGROUP
//    checks every key first and serves in a second hop, so an error on one key never leaves
//    deliveries on another.
// When nothing was served and BLOCK was given, the client blocks on every key (blocking.h).
// A "$" ID was resolved to the stream's last ID on the key's shard during the first step, and
// the registration re-checks the keys against those IDs, so an entry added in between wakes it.
#include <memory>

#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/blocking.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "commands/stream_util.h"

namespace kora {

namespace {

constexpr int64_t kBlockedDefaultCount = 1000;  // XREAD_BLOCKED_DEFAULT_COUNT

enum class IdKind : uint8_t { kExplicit, kLast /* $ */, kNew /* > */ };

struct XReadRequest {
  bool group_mode = false;
  std::string group, consumer;
  bool noack = false;
  int64_t count = 0;  // 0: no limit
  int64_t block_ms = -1;  // -1: no BLOCK
  bool deny_blocking = false;  // inside EXEC: BLOCK answers at once, as a timeout
  int resp = 2;
  std::vector<std::string> keys;
  std::vector<IdKind> kinds;
  std::vector<StreamId> ids;           // explicit IDs
  std::vector<std::string> id_errors;  // per key: the error its ID argument gives, or ""
};

struct KeyResult {
  std::string error;  // WRONGTYPE or NOGROUP
  StreamId resolved;  // the ID entries must be greater than ($ resolved)
  bool served = false;
  std::string fragment;  // this key's part of the reply
};
using Results = std::vector<std::pair<size_t, KeyResult>>;  // by key index, ascending

// Redis's xreadCommand argument parsing. Returns false after replying an error.
bool ParseXRead(CmdArgs args, CmdCtx& ctx, bool group_mode, XReadRequest* r) {
  r->group_mode = group_mode;
  size_t streams_arg = 0;
  bool group_given = false;
  for (size_t i = 1; i < args.size(); ++i) {
    size_t more = args.size() - i - 1;
    std::string_view o = args[i];
    if (EqualsIgnoreCase(o, "block") && more) {
      ++i;
      if (!ParseInt64(args[i], &r->block_ms)) {
        ctx.rb->Error("ERR timeout is not an integer or out of range");
        return false;
      }
      if (r->block_ms < 0) {
        ctx.rb->Error("ERR timeout is negative");
        return false;
      }
    } else if (EqualsIgnoreCase(o, "count") && more) {
      ++i;
      if (!ParseLongLongOrReply(ctx, args[i], &r->count)) return false;
      if (r->count < 0) r->count = 0;
    } else if (EqualsIgnoreCase(o, "streams") && more) {
      streams_arg = i + 1;
      if ((args.size() - streams_arg) % 2 != 0) {
        ctx.rb->Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' "
                      "must be specified.");
        return false;
      }
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      if (!group_mode) {
        ctx.rb->Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
                      "instead.");
        return false;
      }
      r->group = std::string(args[i + 1]);
      r->consumer = std::string(args[i + 2]);
      group_given = true;
      i += 2;
    } else if (EqualsIgnoreCase(o, "noack")) {
      if (!group_mode) {
        ctx.rb->Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
                      "instead.");
        return false;
      }
      r->noack = true;
    } else {
      ctx.rb->Error(err::kSyntax);
      return false;
    }
  }
  if (streams_arg == 0) {
    ctx.rb->Error(err::kSyntax);
    return false;
  }
  if (group_mode && !group_given) {
    ctx.rb->Error("ERR Missing GROUP option for XREADGROUP");
    return false;
  }
  size_t n = (args.size() - streams_arg) / 2;
  r->keys.reserve(n);
  r->kinds.resize(n);
  r->ids.resize(n);
  r->id_errors.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r->keys.emplace_back(args[streams_arg + i]);
    std::string_view id = args[streams_arg + n + i];
    if (id == "$") {
      r->kinds[i] = IdKind::kLast;
      if (group_mode) {
        r->id_errors[i] =
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.";
      }
    } else if (id == ">") {
      r->kinds[i] = IdKind::kNew;
      r->ids[i] = StreamId::Max();
      if (!group_mode) {
        r->id_errors[i] =
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
            "<group> <consumer> option.";
      }
    } else if (!ParseStreamId(id, &r->ids[i], 0, /*strict=*/true)) {
      r->id_errors[i] = std::string(stream_err::kInvalidId);
    }
  }
  r->resp = ctx.conn->resp;
  r->deny_blocking = ctx.conn->deny_blocking;
  return true;
}

// Checks the listed keys in order (Redis's first pass): type, group, ID. Stops at the first
// error. Resolves "$" to the stream's last ID.
void CheckKeys(CmdCtx& c, const XReadRequest& r, const std::vector<size_t>& idxs, Results* out,
               bool* failed) {
  *failed = false;
  ShardStats& st = c.shard().stats();
  for (size_t i : idxs) {
    KeyResult& kr = out->emplace_back(i, KeyResult{}).second;
    KeyEntry* e = c.db().Find(r.keys[i], c.now_ms);
    e ? ++st.keyspace_hits : ++st.keyspace_misses;
    if (e && e->value.type() != ValueType::kStream) {
      kr.error = std::string(err::kWrongType);
    } else if (r.group_mode && (!e || !e->value.As<StreamObject>()->FindGroup(r.group))) {
      kr.error = "NOGROUP No such key '" + CStr(r.keys[i]) + "' or consumer group '" +
                 CStr(r.group) + "' in XREADGROUP with GROUP option";
    }
    if (!kr.error.empty() || !r.id_errors[i].empty()) {
      *failed = true;
      return;
    }
    kr.resolved = r.ids[i];
    if (r.kinds[i] == IdKind::kLast) {
      kr.resolved = e ? e->value.As<StreamObject>()->last_id() : StreamId{};
    }
  }
}

// Redis's second pass: serves each listed key that has something for the reader.
void ServeKeys(CmdCtx& c, const XReadRequest& r, Results* results) {
  ShardStats& st = c.shard().stats();
  for (auto& [i, kr] : *results) {
    KeyEntry* e = c.db().Find(r.keys[i], c.now_ms);
    e ? ++st.keyspace_hits : ++st.keyspace_misses;
    if (!e || e->value.type() != ValueType::kStream) continue;
    auto* s = e->value.As<StreamObject>();
    StreamId gt = kr.resolved;
    bool serve = false, history = false;
    StreamGroup* g = nullptr;
    StreamId maxid;
    if (r.group_mode) {
      g = s->FindGroup(r.group);
      if (g == nullptr) continue;  // destroyed between the two passes
      if (r.kinds[i] == IdKind::kExplicit) {
        serve = history = true;  // the consumer's own pending history
      } else if (s->LastValidId(&maxid) && maxid > g->last_id) {
        serve = true;
        gt = g->last_id;
      }
    } else {
      serve = s->LastValidId(&maxid) && maxid > gt;
    }
    if (!serve) continue;
    StreamId start = gt;
    start.Incr();
    ReplyBuilder rb(&kr.fragment, r.resp);
    if (r.resp == 2) rb.ArrayHeader(2);
    rb.Bulk(r.keys[i]);
    auto count = static_cast<size_t>(r.count);
    if (g) {
      StreamConsumer* consumer = g->FindConsumer(r.consumer);
      if (consumer) {
        consumer->seen_time = c.now_ms;
      } else {
        consumer = g->CreateConsumer(r.consumer, c.now_ms);
        NotifyKeyspaceEvent(c, kNotifyStream, "xgroup-createconsumer", r.keys[i]);
      }
      if (history) {
        ReplyConsumerHistory(rb, *s, g, consumer, start, count, c.now_ms);
      } else {
        ReplyRange(rb, *s, start, StreamId::Max(), count, false, g, consumer, r.noack,
                   c.now_ms);
      }
    } else {
      ReplyRange(rb, *s, start, StreamId::Max(), count, false);
    }
    kr.served = true;
  }
}

// The error the command fails with (by key order), or "".
std::string FirstError(const XReadRequest& r, const std::vector<KeyResult*>& by_key) {
  for (size_t i = 0; i < r.keys.size(); ++i) {
    if (by_key[i] && !by_key[i]->error.empty()) return by_key[i]->error;
    if (!r.id_errors[i].empty()) return r.id_errors[i];
  }
  return std::string();
}

// Writes the reply of the served keys; false if none was served.
bool WriteServed(ReplyBuilder& rb, const std::vector<KeyResult*>& by_key) {
  int64_t n = 0;
  for (KeyResult* kr : by_key) n += kr && kr->served;
  if (n == 0) return false;
  rb.resp() == 2 ? rb.ArrayHeader(n) : rb.MapHeader(n);
  for (KeyResult* kr : by_key) {
    if (kr && kr->served) rb.Raw(kr->fragment);
  }
  return true;
}

// ---- Blocking

struct BlockState {
  XReadRequest req;
  std::vector<std::pair<std::string, StreamId>> ids;  // per distinct key: entries must be > this
};

StreamObject* PeekStream(CmdCtx& c, std::string_view key) {
  KeyEntry* e = c.db().Peek(key, c.now_ms);
  if (!e || e->value.type() != ValueType::kStream) return nullptr;
  return e->value.As<StreamObject>();
}

const StreamId& BlockedId(const BlockState& st, std::string_view key) {
  for (const auto& kv : st.ids) {
    if (kv.first == key) return kv.second;
  }
  return st.ids.front().second;  // not reached: only the ticket's keys are asked
}

BlockTicket* MakeTicket(std::shared_ptr<const BlockState> st) {
  auto* t = new BlockTicket;
  t->independent = true;
  for (const auto& kv : st->ids) t->keys.push_back(kv.first);
  t->ready = [st](CmdCtx& c, std::string_view key) {
    StreamObject* s = PeekStream(c, key);
    if (s == nullptr) return false;
    if (!st->req.group_mode) return s->last_id() > BlockedId(*st, key);
    StreamGroup* g = s->FindGroup(st->req.group);
    return g == nullptr || s->last_id() > g->last_id;  // a lost group is reported
  };
  t->serve = [st](CmdCtx& c, std::string_view key, std::string* out) {
    const XReadRequest& r = st->req;
    ReplyBuilder rb(out, r.resp);
    StreamObject* s = PeekStream(c, key);
    StreamGroup* g = nullptr;
    StreamId start = BlockedId(*st, key);
    if (r.group_mode) {
      g = s->FindGroup(r.group);
      if (g == nullptr) {
        rb.Error("NOGROUP the consumer group this client was blocked on no longer exists");
        return;
      }
      start = g->last_id;
    }
    start.Incr();
    if (r.resp == 2) {
      rb.ArrayHeader(1);
      rb.ArrayHeader(2);
    } else {
      rb.MapHeader(1);
    }
    rb.Bulk(key);
    auto count = static_cast<size_t>(r.count ? r.count : kBlockedDefaultCount);
    if (g == nullptr) {
      ReplyRange(rb, *s, start, StreamId::Max(), count, false);
      return;
    }
    StreamConsumer* consumer = g->FindConsumer(r.consumer);
    if (consumer) {
      consumer->seen_time = c.now_ms;
    } else {
      consumer = g->CreateConsumer(r.consumer, c.now_ms);
      NotifyKeyspaceEvent(c, kNotifyStream, "xgroup-createconsumer", key);
    }
    ReplyRange(rb, *s, start, StreamId::Max(), count, false, g, consumer, r.noack, c.now_ms);
  };
  return t;
}

// Blocks the client on every key; `by_key` holds the resolved IDs. Runs on the connection's
// worker with ctx.conn set.
void Block(CmdCtx& ctx, const XReadRequest& r, const std::vector<KeyResult*>& by_key) {
  auto st = std::make_shared<BlockState>();
  st->req = r;
  for (size_t i = 0; i < r.keys.size(); ++i) {
    bool seen = false;
    for (const auto& kv : st->ids) seen |= kv.first == r.keys[i];
    if (!seen) st->ids.emplace_back(r.keys[i], by_key[i]->resolved);
  }
  BlockTicket* t = MakeTicket(std::move(st));
  int64_t ms = r.block_ms;
  t->deadline_ms = (ms == 0 || ms > INT64_MAX - ctx.now_ms) ? 0 : ctx.now_ms + ms;
  BlockClient(ctx, t);
}

// Replies (or blocks) once every key has been checked and the servable ones served.
void Finish(ReplyBuilder& rb, const XReadRequest& r,
            const std::vector<KeyResult*>& by_key, bool* blocked) {
  *blocked = false;
  std::string error = FirstError(r, by_key);
  if (!error.empty()) {
    rb.Error(error);
  } else if (!WriteServed(rb, by_key)) {
    if (r.block_ms >= 0 && !r.deny_blocking) {
      *blocked = true;
    } else {
      rb.NullArray();
    }
  }
}

std::vector<KeyResult*> ByKey(const XReadRequest& r, Results& results) {
  std::vector<KeyResult*> by_key(r.keys.size(), nullptr);
  for (auto& [i, kr] : results) by_key[i] = &kr;
  return by_key;
}

// All keys on one shard: one atomic step there.
Results SingleShardStep(CmdCtx& c, const XReadRequest& r) {
  std::vector<size_t> idxs(r.keys.size());
  for (size_t i = 0; i < idxs.size(); ++i) idxs[i] = i;
  Results results;
  bool failed;
  CheckKeys(c, r, idxs, &results, &failed);
  if (!failed) ServeKeys(c, r, &results);
  return results;
}

// Continues on the connection's worker after the shards answered: replies through `pending`
// or blocks the client.
void CompleteLater(Service* svc, ConnContext* conn, int db, PendingReply* pending,
                   std::shared_ptr<const XReadRequest> req, Results results) {
  std::vector<KeyResult*> by_key = ByKey(*req, results);
  bool blocked = false;
  conn->Ref();
  pending->Finish([&](ReplyBuilder& rb) {
    Finish(rb, *req, by_key, &blocked);
  });
  if (blocked && !conn->closing) {
    CmdCtx c;
    c.svc = svc;
    c.worker = Worker::Current();
    c.conn = conn;
    c.db_index = db;
    c.now_ms = NowUnixMs();
    Block(c, *req, by_key);
  }
  conn->Unref();
}

void XReadGeneric(CmdArgs args, CmdCtx& ctx, bool group_mode) {
  auto req = std::make_shared<XReadRequest>();
  if (!ParseXRead(args, ctx, group_mode, req.get())) return;
  Engine& eng = ctx.svc->engine();
  std::vector<int> shards;
  std::vector<std::vector<size_t>> idxs_of;  // per shard in `shards`
  for (size_t i = 0; i < req->keys.size(); ++i) {
    int s = eng.ShardOf(req->keys[i]);
    size_t k = 0;
    while (k < shards.size() && shards[k] != s) ++k;
    if (k == shards.size()) {
      shards.push_back(s);
      idxs_of.emplace_back();
    }
    idxs_of[k].push_back(i);
  }
  Service* svc = ctx.svc;
  ConnContext* conn = ctx.conn;
  int db = ctx.db_index;
  const CommandSpec* spec = ctx.spec;
  uint64_t tx_id = ctx.tx_id;
  std::shared_ptr<const XReadRequest> r = req;

  WorkerState& ws = svc->local();
  bool locked = ws.tx_lock != 0 && ws.tx_lock != ctx.tx_id;  // inside another client's EXEC
  if (shards.size() == 1 && shards[0] == ctx.worker->id() && !locked) {
    Results results = SingleShardStep(ctx, *r);
    std::vector<KeyResult*> by_key = ByKey(*r, results);
    bool blocked;
    Finish(*ctx.rb, *r, by_key, &blocked);
    if (blocked) Block(ctx, *r, by_key);
    return;
  }
  auto* pending = new PendingReply(conn, /*barrier=*/true);
  if (shards.size() == 1) {
    svc->RunOnShards<Results>(
        ctx, shards, [r](CmdCtx& c) { return SingleShardStep(c, *r); },
        [=](std::vector<Results>& res) {
          CompleteLater(svc, conn, db, pending, r, std::move(res[0]));
        });
    return;
  }
  auto groups = std::make_shared<const std::vector<std::vector<size_t>>>(std::move(idxs_of));
  auto shard_index = [shards](CmdCtx& c) {
    size_t k = 0;
    while (shards[k] != c.worker->id()) ++k;
    return k;
  };
  // First hop: check every key; XREAD also reads (no side effects to undo on an error).
  svc->RunOnShards<Results>(
      ctx, shards,
      [r, groups, shard_index](CmdCtx& c) {
        Results out;
        bool failed;
        CheckKeys(c, *r, (*groups)[shard_index(c)], &out, &failed);
        if (!failed && !r->group_mode) ServeKeys(c, *r, &out);
        return out;
      },
      [=](std::vector<Results>& res) {
        Results all;
        for (auto& part : res) {
          for (auto& kv : part) all.push_back(std::move(kv));
        }
        std::vector<KeyResult*> by_key = ByKey(*r, all);
        if (!r->group_mode || !FirstError(*r, by_key).empty()) {
          CompleteLater(svc, conn, db, pending, r, std::move(all));
          return;
        }
        // XREADGROUP: every key is valid; second hop serves them.
        auto checked = std::make_shared<const Results>(std::move(all));
        CmdCtx c;
        c.svc = svc;
        c.worker = Worker::Current();
        c.spec = spec;  // a write: WATCH sees the deliveries
        c.db_index = db;
        c.tx_id = tx_id;
        c.now_ms = NowUnixMs();
        svc->RunOnShards<Results>(
            c, shards,
            [r, checked, groups, shard_index](CmdCtx& sc) {
              Results out;
              for (size_t i : (*groups)[shard_index(sc)]) {
                for (const auto& kv : *checked) {
                  if (kv.first == i) out.push_back(kv);
                }
              }
              ServeKeys(sc, *r, &out);
              return out;
            },
            [=](std::vector<Results>& res2) {
              Results served;
              for (auto& part : res2) {
                for (auto& kv : part) served.push_back(std::move(kv));
              }
              CompleteLater(svc, conn, db, pending, r, std::move(served));
            });
      });
}

void CmdXRead(CmdArgs args, CmdCtx& ctx) { XReadGeneric(args, ctx, false); }
void CmdXReadGroup(CmdArgs args, CmdCtx& ctx) { XReadGeneric(args, ctx, true); }

}  // namespace

std::vector<CommandSpec> StreamReadCommands() {
  const uint32_t kB = kCmdBlocking | kCmdConn;
  CommandSpec xread = Cmd("xread", -4, kCmdReadOnly | kB, 0, 0, 0, "read stream slow blocking",
                          CmdXRead);
  xread.getkeys = XReadKeys;
  CommandSpec xreadgroup = Cmd("xreadgroup", -7, kCmdWrite | kB, 0, 0, 0,
                               "write stream slow blocking", CmdXReadGroup);
  xreadgroup.getkeys = XReadKeys;
  return {xread, xreadgroup};
}

}  // namespace kora
