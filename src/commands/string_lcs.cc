// LCS: longest common subsequence of two strings (Redis's lcsCommand), also across shards.
#include <algorithm>
#include <memory>
#include <new>

#include "commands/string_util.h"

namespace kora {
namespace {

struct LcsOptions {
  bool get_len = false, get_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  std::string error;  // non-empty: the reply once the keys are known to hold strings
};

LcsOptions ParseLcsOptions(CmdArgs args) {
  LcsOptions o;
  for (size_t j = 3; j < args.size(); ++j) {
    std::string_view opt = args[j].substr(0, args[j].find('\0'));
    bool more = j + 1 < args.size();
    if (EqualsIgnoreCase(opt, "idx")) {
      o.get_idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      o.get_len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      o.with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && more) {
      if (!ParseInt64(args[j + 1], &o.min_match_len)) {
        o.error = err::kNotInt;
        return o;
      }
      if (o.min_match_len < 0) o.min_match_len = 0;
      ++j;
    } else {
      o.error = err::kSyntax;
      return o;
    }
  }
  if (o.get_len && o.get_idx) {
    o.error = "ERR If you want both the length and indexes, please just use IDX.";
  }
  return o;
}

void ReplyLcs(const LcsOptions& o, std::string_view a, std::string_view b, int64_t max_bulk,
              ReplyBuilder& rb) {
  if (!o.error.empty()) return rb.Error(o.error);
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    return rb.Error("ERR String too long for LCS");
  }
  uint32_t alen = static_cast<uint32_t>(a.size()), blen = static_cast<uint32_t>(b.size());
  uint64_t cells = static_cast<uint64_t>(alen + 1) * (blen + 1);
  uint64_t bytes = cells * sizeof(uint32_t);
  if (bytes > static_cast<uint64_t>(max_bulk)) {
    return rb.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  std::unique_ptr<uint32_t[]> table(new (std::nothrow) uint32_t[cells]);
  if (!table) {
    return rb.Error("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& { return table[j + i * (blen + 1)]; };
  for (uint32_t i = 0; i <= alen; ++i) {
    for (uint32_t j = 0; j <= blen; ++j) {
      if (i == 0 || j == 0) {
        at(i, j) = 0;
      } else if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  uint32_t total = at(alen, blen);
  if (o.get_len && !o.get_idx) return rb.Integer(total);

  // Walk back from the end; ranges come out from the last match to the first.
  std::string result(total, '\0');
  struct Match {
    uint32_t a0, a1, b0, b1;
  };
  std::vector<Match> matches;
  uint32_t idx = total, i = alen, j = blen;
  uint32_t as = alen, ae = 0, bs = 0, be = 0;  // as == alen: no range open
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (as == alen) {
        as = ae = i - 1;
        bs = be = j - 1;
      } else if (as == i && bs == j) {
        --as;
        --bs;
      } else {
        emit = true;
      }
      if (as == 0 || bs == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (as != alen) emit = true;
    }
    if (emit) {
      uint32_t len = ae - as + 1;
      if (o.min_match_len == 0 || len >= o.min_match_len) matches.push_back({as, ae, bs, be});
      as = alen;
    }
  }
  if (!o.get_idx) return rb.Bulk(result);
  rb.MapHeader(2);
  rb.Bulk("matches");
  rb.ArrayHeader(static_cast<int64_t>(matches.size()));
  for (const Match& m : matches) {
    rb.ArrayHeader(o.with_match_len ? 3 : 2);
    rb.ArrayHeader(2);
    rb.Integer(m.a0);
    rb.Integer(m.a1);
    rb.ArrayHeader(2);
    rb.Integer(m.b0);
    rb.Integer(m.b1);
    if (o.with_match_len) rb.Integer(m.a1 - m.a0 + 1);
  }
  rb.Bulk("len");
  rb.Integer(total);
}

constexpr std::string_view kNotStrings = "ERR The specified keys must contain string values";

void CmdLcs(CmdArgs args, CmdCtx& ctx) {
  DbTable& db = ctx.db();
  ShardStats& stats = ctx.shard().stats();
  std::string_view vals[2];
  IntDigits digits[2];
  bool wrong = false;
  for (int k = 0; k < 2; ++k) {
    KeyEntry* e = db.Find(args[1 + k], ctx.now_ms);
    if (e == nullptr) {
      ++stats.keyspace_misses;
      continue;
    }
    ++stats.keyspace_hits;
    if (!e->value.is_string()) {
      wrong = true;
    } else {
      vals[k] = StrBytes(e->value, &digits[k]);
    }
  }
  if (wrong) return ctx.rb->Error(kNotStrings);
  ReplyLcs(ParseLcsOptions(args), vals[0], vals[1], ProtoMaxBulkLen(ctx), *ctx.rb);
}

// The two keys live on two shards: fetch both values, then compute here.
void MultiLcs(CmdArgs args, CmdCtx& ctx) {
  auto options = std::make_shared<LcsOptions>(ParseLcsOptions(args));
  int64_t max_bulk = ProtoMaxBulkLen(ctx);
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/false);
  FetchStrings(
      ctx, PlanKeys(ctx, args.subspan(0, 3), 1, 1, false),
      [pending, options, max_bulk](std::vector<FetchedString>& v) {
        pending->Finish([&](ReplyBuilder& rb) {
          if (v[0].state == FetchedString::kWrongType || v[1].state == FetchedString::kWrongType) {
            return rb.Error(kNotStrings);
          }
          ReplyLcs(*options, v[0].bytes, v[1].bytes, max_bulk, rb);
        });
      });
}

}  // namespace

std::vector<CommandSpec> StringLcsCommands() {
  return {
      Cmd("lcs", -3, kCmdReadOnly, 1, 2, 1, "read string slow", CmdLcs, MultiLcs),
  };
}

}  // namespace kora
