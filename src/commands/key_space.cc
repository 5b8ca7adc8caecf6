// Whole-keyspace commands: KEYS SCAN RANDOMKEY DBSIZE FLUSHDB FLUSHALL SWAPDB. They run on the
// connection's worker (kCmdConn) and visit the shards with RunOnShards: all of them at once,
// or for SCAN one at a time.
#include <cctype>

#include "base/clock.h"
#include "base/glob.h"
#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/family_util.h"
#include "commands/key_family.h"
#include "commands/service.h"
#include "commands/tracking_family.h"

namespace kora {
namespace {

bool IsLive(const KeyEntry* e, int64_t now_ms) {
  return e->expire_at == 0 || e->expire_at > now_ms;
}

// ---- KEYS

void CmdKeys(CmdArgs args, CmdCtx& ctx) {
  std::string pattern(args[1]);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<std::vector<std::string>>(
      ctx, ctx.svc->AllShards(),
      [pattern](CmdCtx& c) {
        std::vector<std::string> keys;
        bool all = pattern == "*";
        c.db().dict().ForEach([&](KeyEntry* e) {
          // Like Redis, expired keys are skipped but not deleted here.
          if ((all || GlobMatch(pattern, e->key)) && IsLive(e, c.now_ms)) keys.emplace_back(e->Key());
        });
        return keys;
      },
      [pending](std::vector<std::vector<std::string>>& parts) {
        pending->Finish([&parts](ReplyBuilder& rb) {
          size_t n = 0;
          for (const auto& p : parts) n += p.size();
          rb.ArrayHeader(static_cast<int64_t>(n));
          for (const auto& p : parts) {
            for (const auto& k : p) rb.Bulk(k);
          }
        });
      });
}

// ---- SCAN
//
// The cursor names one shard and a position in that shard's table: the low kShardBits bits
// are the shard index, the rest is the shard's Dict::Scan cursor (reverse-binary, so the
// table may grow or shrink between calls). A call starts at the cursor's shard and moves to
// the next shard (dict cursor 0) when that shard's cursor wraps to 0, one hop at a time, until
// it has COUNT keys or spent its COUNT*10 bucket budget (Redis's rule); after the last shard
// the cursor is 0. Every key present for the whole iteration is returned at least once.

constexpr int kShardBits = 10;  // --workers is at most 1024
constexpr uint64_t kShardMask = (uint64_t{1} << kShardBits) - 1;

struct ScanFilter {
  std::string pattern;  // empty: no MATCH (or MATCH *)
  bool use_pattern = false;
  std::string type;
  bool use_type = false;
};

struct ScanPage {
  uint64_t next = 0;  // the shard's dict cursor after the page; 0 when the shard is done
  std::vector<std::string> keys;
  int64_t visited = 0;     // keys seen before filtering (what COUNT counts)
  int64_t iterations = 0;  // buckets-steps used
};

// Redis's parseScanCursorOrReply: strtoul over the whole (C) string, no leading space.
bool ParseScanCursor(std::string_view s, uint64_t* out) {
  if (size_t nul = s.find('\0'); nul != std::string_view::npos) s = s.substr(0, nul);
  if (s.empty()) {
    *out = 0;
    return true;
  }
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    ++i;
  }
  if (i == s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = s[i] - '0';
    if (v > (UINT64_MAX - d) / 10) return false;  // ERANGE
    v = v * 10 + d;
  }
  *out = neg ? ~v + 1 : v;
  return true;
}

ScanPage OpScan(CmdCtx& c, uint64_t cursor, const ScanFilter& f, int64_t count,
                int64_t max_iterations) {
  ScanPage page;
  DbTable& db = c.db();
  std::vector<KeyEntry*> seen;
  // Collect first: the table must not change while it is scanned.
  do {
    cursor = db.dict().Scan(cursor, [&seen](KeyEntry* e) { seen.push_back(e); });
    ++page.iterations;
  } while (cursor != 0 && page.iterations <= max_iterations &&
           static_cast<int64_t>(seen.size()) < count);
  page.next = cursor;
  page.visited = static_cast<int64_t>(seen.size());
  ShardStats& stats = c.shard().stats();
  for (KeyEntry* e : seen) {
    if (f.use_pattern && !GlobMatch(f.pattern, e->key)) continue;
    bool live = IsLive(e, c.now_ms);
    if (!live) {
      if (f.use_type) ++stats.keyspace_misses;
      NotifyKeyspaceEvent(c, kNotifyExpired, "expired", e->Key());
      db.Erase(e);  // a lookup would have expired it
      continue;
    }
    if (f.use_type) {
      ++stats.keyspace_hits;
      if (!EqualsIgnoreCase(f.type, TypeName(e->value.type()))) continue;
    }
    page.keys.emplace_back(e->Key());
  }
  return page;
}

struct ScanJob {
  std::shared_ptr<const ScanFilter> filter;
  int64_t count = 10;
  int64_t iterations_left = 100;
  std::vector<std::string> keys;
  int64_t visited = 0;
  PendingReply* pending = nullptr;
};

void FinishScan(std::unique_ptr<ScanJob> job, uint64_t cursor) {
  ScanJob* j = job.get();
  j->pending->Finish([j, cursor](ReplyBuilder& rb) {
    rb.ArrayHeader(2);
    rb.Bulk(std::to_string(cursor));
    rb.ArrayHeader(static_cast<int64_t>(j->keys.size()));
    for (const auto& k : j->keys) rb.Bulk(k);
  });
}

// Scans shard `shard` from `cursor`, then continues on the next shard or replies.
void ScanStep(CmdCtx& ctx, std::unique_ptr<ScanJob> job, int shard, uint64_t cursor) {
  auto filter = job->filter;
  int64_t count = job->count - job->visited;
  int64_t iterations = job->iterations_left;
  int shards = ctx.svc->engine().size();
  CmdCtx base = ctx;
  ctx.svc->RunOnShards<ScanPage>(
      ctx, {shard},
      [filter, cursor, count, iterations](CmdCtx& c) {
        return OpScan(c, cursor, *filter, count, iterations);
      },
      [job = std::move(job), base, shard, shards](std::vector<ScanPage>& r) mutable {
        ScanPage& page = r[0];
        for (auto& k : page.keys) job->keys.push_back(std::move(k));
        job->visited += page.visited;
        job->iterations_left -= page.iterations;
        if (page.next != 0) return FinishScan(std::move(job), page.next << kShardBits | shard);
        if (shard + 1 == shards) return FinishScan(std::move(job), 0);
        if (job->visited >= job->count || job->iterations_left < 0) {
          return FinishScan(std::move(job), static_cast<uint64_t>(shard + 1));
        }
        CmdCtx c = base;
        c.worker = Worker::Current();
        c.now_ms = NowUnixMs();
        ScanStep(c, std::move(job), shard + 1, 0);
      });
}

void CmdScan(CmdArgs args, CmdCtx& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(args[1], &cursor)) return ctx.rb->Error("ERR invalid cursor");
  auto filter = std::make_shared<ScanFilter>();
  int64_t count = 10;
  for (size_t i = 2; i < args.size(); i += 2) {
    bool has_value = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "count") && has_value) {
      if (!ParseInt64(args[i + 1], &count)) return ctx.rb->Error(err::kNotInt);
      if (count < 1) return ctx.rb->Error(err::kSyntax);
    } else if (EqualsIgnoreCase(args[i], "match") && has_value) {
      filter->pattern.assign(args[i + 1]);
      filter->use_pattern = filter->pattern != "*";
    } else if (EqualsIgnoreCase(args[i], "type") && has_value) {
      filter->type.assign(args[i + 1]);
      filter->use_type = true;
    } else {
      return ctx.rb->Error(err::kSyntax);
    }
  }
  int shard = static_cast<int>(cursor & kShardMask);
  if (shard >= ctx.svc->engine().size()) {  // not a cursor we handed out: nothing left
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk("0");
    ctx.rb->ArrayHeader(0);
    return;
  }
  auto job = std::make_unique<ScanJob>();
  job->filter = std::move(filter);
  job->count = count;
  job->iterations_left = count > INT64_MAX / 10 ? INT64_MAX : count * 10;
  // The barrier keeps this connection's later commands behind every hop of the scan.
  job->pending = new PendingReply(ctx.conn, /*barrier=*/true);
  ScanStep(ctx, std::move(job), shard, cursor >> kShardBits);
}

// ---- RANDOMKEY DBSIZE

struct RandomPick {
  size_t size = 0;
  std::string key;
  bool found = false;
};

void CmdRandomkey(CmdArgs, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<RandomPick>(
      ctx, ctx.svc->AllShards(),
      [](CmdCtx& c) {
        RandomPick p;
        DbTable& db = c.db();
        if (KeyEntry* e = db.RandomKey(c.now_ms, c.shard().rng())) {
          p.key = e->key;
          p.found = true;
        }
        p.size = db.size();
        return p;
      },
      [pending](std::vector<RandomPick>& picks) {
        // Weighted by each shard's key count, so every key is equally likely.
        size_t total = 0;
        for (const auto& p : picks) total += p.found ? p.size : 0;
        const std::string* key = nullptr;
        if (total > 0) {
          size_t r =
              std::uniform_int_distribution<size_t>(0, total - 1)(Worker::Current()->shard().rng());
          for (const auto& p : picks) {
            if (!p.found) continue;
            if (r < p.size) {
              key = &p.key;
              break;
            }
            r -= p.size;
          }
        }
        pending->Finish([key](ReplyBuilder& rb) { rb.BulkOrNull(key); });
      });
}

void CmdDbsize(CmdArgs, CmdCtx& ctx) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<int64_t>(
      ctx, ctx.svc->AllShards(), [](CmdCtx& c) { return static_cast<int64_t>(c.db().size()); },
      [pending](std::vector<int64_t>& sizes) {
        int64_t n = 0;
        for (int64_t s : sizes) n += s;
        pending->Finish([n](ReplyBuilder& rb) { rb.Integer(n); });
      });
}

// ---- FLUSHDB FLUSHALL SWAPDB
//
// Per-destination hops are FIFO, so a later command of this connection reaches every shard
// after the flush or swap: no barrier is needed.

// Redis's getFlushCommandFlags: [ASYNC|SYNC]. Both free the memory before replying.
bool ParseFlushMode(CmdArgs args, CmdCtx& ctx) {
  if (args.size() == 1) return true;
  if (args.size() == 2 &&
      (EqualsIgnoreCase(args[1], "sync") || EqualsIgnoreCase(args[1], "async"))) {
    return true;
  }
  ctx.rb->Error(err::kSyntax);
  return false;
}

void RunEverywhereThenOk(CmdCtx& ctx, std::function<bool(CmdCtx&)> fn) {
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  ctx.svc->RunOnShards<bool>(
      ctx, ctx.svc->AllShards(), std::move(fn),
      [pending](std::vector<bool>&) { pending->Finish([](ReplyBuilder& rb) { rb.Ok(); }); });
}

void CmdFlushdb(CmdArgs args, CmdCtx& ctx) {
  if (!ParseFlushMode(args, ctx)) return;
  RunEverywhereThenOk(ctx, [](CmdCtx& c) {
    c.db().Clear();
    return true;
  });
  TrackingOnFlush(ctx);
}

void CmdFlushall(CmdArgs args, CmdCtx& ctx) {
  if (!ParseFlushMode(args, ctx)) return;
  RunEverywhereThenOk(ctx, [](CmdCtx& c) {
    for (int i = 0; i < kNumDatabases; ++i) c.shard().db(i).Clear();
    return true;
  });
  TrackingOnFlush(ctx);
}

void CmdSwapdb(CmdArgs args, CmdCtx& ctx) {
  int a, b;
  if (std::string e = ParseIntArg(args[1], &a, "invalid first DB index"); !e.empty()) {
    return ctx.rb->Error(e);
  }
  if (std::string e = ParseIntArg(args[2], &b, "invalid second DB index"); !e.empty()) {
    return ctx.rb->Error(e);
  }
  if (a < 0 || a >= kNumDatabases || b < 0 || b >= kNumDatabases) {
    return ctx.rb->Error(err::kDbIndex);
  }
  if (a == b) return ctx.rb->Ok();
  RunEverywhereThenOk(ctx, [a, b](CmdCtx& c) {
    c.shard().SwapDb(a, b);
    return true;
  });
}

}  // namespace

std::vector<CommandSpec> KeySpaceCommands() {
  const uint32_t conn = kCmdConn;
  return {
      Cmd("keys", 2, kCmdReadOnly | conn, 0, 0, 0, "keyspace read slow dangerous", CmdKeys),
      Cmd("scan", -2, kCmdReadOnly | conn, 0, 0, 0, "keyspace read slow", CmdScan),
      Cmd("randomkey", 1, kCmdReadOnly | conn, 0, 0, 0, "keyspace read slow", CmdRandomkey),
      Cmd("dbsize", 1, kCmdReadOnly | kCmdFast | conn, 0, 0, 0, "keyspace read fast", CmdDbsize),
      Cmd("flushdb", -1, kCmdWrite | conn, 0, 0, 0, "keyspace write slow dangerous", CmdFlushdb),
      Cmd("flushall", -1, kCmdWrite | conn, 0, 0, 0, "keyspace write slow dangerous", CmdFlushall),
      Cmd("swapdb", 3, kCmdWrite | kCmdFast | conn, 0, 0, 0, "keyspace write fast dangerous",
          CmdSwapdb),
  };
}

}  // namespace kora
