// SORT and SORT_RO (Redis's sortCommandGeneric).
//
// BY and GET patterns name other keys, which may live on any shard, so SORT runs on the
// connection's thread as a coordinator: (1) the elements are read on the sorted key's shard,
// (2) the keys the patterns name are read on their shards, (3) the sort runs here and (4) a
// STORE destination is written on its shard.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "commands/notify.h"
#include "commands/conn_context.h"
#include "commands/families.h"
#include "commands/family_util.h"
#include "commands/service.h"
#include "core/hash_object.h"
#include "core/list_object.h"
#include "core/set_object.h"
#include "core/zset_object.h"

namespace kora {

namespace {

struct SortOpts {
  bool desc = false, alpha = false, dontsort = false;
  int64_t limit_start = 0, limit_count = -1;
  std::optional<std::string> store;
  std::optional<std::string> by;
  std::vector<std::string> gets;
};

// The elements of the sorted key as loaded by Redis (with its LIMIT shortcut for lists and
// sorted sets when nothing is sorted).
struct Loaded {
  bool wrong_type = false;
  ValueType type = ValueType::kList;
  std::vector<std::string> elems;
  int64_t start = 0, end = -1;
  bool dontsort = false, alpha = false;
  bool by = false;
};

// One pattern lookup: the key to read and the hash field ("" with has_field=false: a string).
struct Lookup {
  std::string key;
  std::string field;
  bool has_field = false;
};

// Redis's lookupKeyByPattern, split in two: the key part (nullopt: no lookup, the answer is
// NULL) ...
std::optional<Lookup> PatternLookup(std::string_view pat, std::string_view subst) {
  size_t star = pat.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  Lookup l;
  size_t arrow = pat.find("->", star + 1);
  size_t fieldlen = 0;
  if (arrow != std::string_view::npos && arrow + 2 < pat.size()) {
    l.field = std::string(pat.substr(arrow + 2));
    l.has_field = true;
    fieldlen = l.field.size();
  }
  size_t postfix = pat.size() - (star + 1) - (l.has_field ? fieldlen + 2 : 0);
  l.key.reserve(star + subst.size() + postfix);
  l.key.append(pat.substr(0, star)).append(subst).append(pat.substr(star + 1, postfix));
  return l;
}

// ... and the read, on the key's shard.
std::optional<std::string> ReadLookup(CmdCtx& ctx, const Lookup& l) {
  KeyEntry* e = ctx.db().Find(l.key, ctx.now_ms);
  ShardStats& st = ctx.shard().stats();
  if (!e) {
    ++st.keyspace_misses;
    return std::nullopt;
  }
  ++st.keyspace_hits;
  if (l.has_field) {
    if (e->value.type() != ValueType::kHash) return std::nullopt;
    auto v = e->value.As<HashObject>()->Get(l.field);
    if (!v) return std::nullopt;
    return std::string(*v);
  }
  if (!e->value.is_string()) return std::nullopt;
  std::string scratch;
  return std::string(e->value.StrView(&scratch));
}

Loaded LoadElements(CmdCtx& ctx, const std::string& key, const SortOpts& o) {
  Loaded r;
  r.dontsort = o.dontsort;
  r.alpha = o.alpha;
  r.by = o.by.has_value() && !o.dontsort;
  KeyEntry* e = ctx.db().Find(key, ctx.now_ms);
  if (e) {
    ++ctx.shard().stats().keyspace_hits;
    ValueType t = e->value.type();
    if (t != ValueType::kList && t != ValueType::kSet && t != ValueType::kZSet) {
      r.wrong_type = true;
      return r;
    }
    r.type = t;
    // Redis converts a sorted set to its skiplist encoding for SORT (visible in OBJECT ENCODING).
    if (t == ValueType::kZSet) e->value.As<ZSetObject>()->ConvertToSkiplist();
  } else {
    ++ctx.shard().stats().keyspace_misses;
  }
  if (r.dontsort && r.type == ValueType::kSet && o.store) {
    // Redis forces an ALPHA sort so a stored set is deterministic.
    r.dontsort = false;
    r.alpha = true;
    r.by = false;
  }
  int64_t len = 0;
  if (e) {
    if (r.type == ValueType::kList) len = e->value.As<ListObject>()->size();
    if (r.type == ValueType::kSet) len = e->value.As<SetObject>()->size();
    if (r.type == ValueType::kZSet) len = e->value.As<ZSetObject>()->size();
  }
  int64_t start = o.limit_start < 0 ? 0 : o.limit_start;
  int64_t end = o.limit_count < 0 ? len - 1 : start + o.limit_count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  bool ranged = r.dontsort && (r.type == ValueType::kList || r.type == ValueType::kZSet);
  if (e && ranged) {
    if (end >= start) {
      int64_t n = end - start + 1;
      r.elems.reserve(n);
      if (r.type == ValueType::kList) {
        auto* l = e->value.As<ListObject>();
        if (!o.desc) {
          l->ForRange(start, end, [&](std::string_view v) { r.elems.emplace_back(v); });
        } else {
          int64_t first = len - start - 1;
          l->ForEachReverse([&](size_t i, std::string_view v) {
            if (static_cast<int64_t>(i) <= first) r.elems.emplace_back(v);
            return static_cast<int64_t>(r.elems.size()) < n;
          });
        }
      } else {
        auto* z = e->value.As<ZSetObject>();
        auto it = z->Seek(o.desc ? len - 1 - start : start);
        for (int64_t k = 0; k < n && it.valid(); ++k) {
          r.elems.emplace_back(it.member());
          if (o.desc) {
            it.Prev();
          } else {
            it.Next();
          }
        }
      }
      end -= start;
      start = 0;
    }
  } else if (e) {
    r.elems.reserve(len);
    if (r.type == ValueType::kList) {
      e->value.As<ListObject>()->ForEach([&](size_t, std::string_view v) {
        r.elems.emplace_back(v);
        return true;
      });
    } else if (r.type == ValueType::kSet) {
      e->value.As<SetObject>()->ForEach([&](std::string_view v) { r.elems.emplace_back(v); });
    } else {
      auto* z = e->value.As<ZSetObject>();
      for (auto it = z->Seek(0); it.valid(); it.Next()) r.elems.emplace_back(it.member());
    }
  }
  r.start = start;
  r.end = end;
  return r;
}

int CompareBytes(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

struct SortItem {
  size_t idx;
  double score = 0;
  const std::optional<std::string>* cmp = nullptr;  // BY value (ALPHA with BY)
};

// The state shared by the phases of one SORT.
struct SortJob {
  SortOpts opts;
  Loaded loaded;
  // Per pattern (BY first when used, then each GET): per element, the looked-up value.
  std::vector<std::vector<std::optional<std::string>>> values;
  std::vector<std::string> out;       // STORE: the list to write
  std::vector<const std::string*> reply;  // nullptr: NULL
  bool conv_error = false;
};

// Phase 3: sorts and lays out the result.
void SortAndCollect(SortJob& job) {
  Loaded& L = job.loaded;
  const SortOpts& o = job.opts;
  size_t n = L.elems.size();
  std::vector<SortItem> items(n);
  for (size_t j = 0; j < n; ++j) items[j].idx = j;
  if (!L.dontsort) {
    for (size_t j = 0; j < n; ++j) {
      const std::string* byval = &L.elems[j];
      if (L.by) {
        const auto& v = job.values[0][j];
        if (!v) continue;
        byval = &*v;
        if (L.alpha) items[j].cmp = &v;
      }
      if (!L.alpha) {
        errno = 0;
        std::string s(*byval);
        char* eptr;
        double d = std::strtod(s.c_str(), &eptr);
        if (*eptr != '\0' || errno == ERANGE || std::isnan(d)) job.conv_error = true;
        items[j].score = d;
      }
    }
    bool desc = o.desc, alpha = L.alpha, by = L.by;
    auto cmp3 = [&](const SortItem& a, const SortItem& b) {
      int c;
      if (!alpha) {
        if (a.score > b.score) {
          c = 1;
        } else if (a.score < b.score) {
          c = -1;
        } else {
          c = CompareBytes(L.elems[a.idx], L.elems[b.idx]);
        }
      } else if (by) {
        const std::optional<std::string>* x = a.cmp ? a.cmp : nullptr;
        const std::optional<std::string>* y = b.cmp ? b.cmp : nullptr;
        if (!x || !y) {
          c = x == y ? 0 : (x == nullptr ? -1 : 1);
        } else {
          c = CompareBytes(**x, **y);
        }
      } else {
        c = CompareBytes(L.elems[a.idx], L.elems[b.idx]);
      }
      return desc ? -c : c;
    };
    std::sort(items.begin(), items.end(),
              [&](const SortItem& a, const SortItem& b) { return cmp3(a, b) < 0; });
  }
  if (job.conv_error) return;
  size_t gbase = L.by ? 1 : 0;
  for (int64_t j = L.start; j <= L.end; ++j) {
    size_t idx = items[j].idx;
    if (o.gets.empty()) {
      job.reply.push_back(&L.elems[idx]);
      continue;
    }
    for (size_t g = 0; g < o.gets.size(); ++g) {
      if (o.gets[g] == "#") {
        job.reply.push_back(&L.elems[idx]);
      } else {
        const auto& v = job.values[gbase + g][idx];
        job.reply.push_back(v ? &*v : nullptr);
      }
    }
  }
}

void FinishSort(std::shared_ptr<SortJob> job, CmdCtx& ctx, PendingReply* pending) {
  SortAndCollect(*job);
  if (job->conv_error) {
    pending->Finish([](ReplyBuilder& rb) {
      rb.Error("ERR One or more scores can't be converted into double");
    });
    return;
  }
  if (!job->opts.store) {
    pending->Finish([job](ReplyBuilder& rb) {
      rb.ArrayHeader(static_cast<int64_t>(job->reply.size()));
      for (const std::string* s : job->reply) rb.BulkOrNull(s);
    });
    return;
  }
  auto list = std::make_shared<std::vector<std::string>>();
  list->reserve(job->reply.size());
  for (const std::string* s : job->reply) list->push_back(s ? *s : std::string());
  std::string dest = *job->opts.store;
  std::shared_ptr<const std::vector<std::string>> items = list;
  int64_t count = static_cast<int64_t>(items->size());
  ctx.svc->RunOnShards<int>(
      ctx, {ctx.svc->engine().ShardOf(dest)},
      [items, dest](CmdCtx& c) -> int {
        DbTable& db = c.db();
        KeyEntry* e = db.Peek(dest, c.now_ms);
        if (items->empty()) {
          if (e) {
            db.Erase(e);
            NotifyKeyspaceEvent(c, kNotifyGeneric, "del", dest);
          }
          return 0;
        }
        auto obj = std::make_unique<ListObject>();
        for (const std::string& s : *items) obj->PushBack(s);
        Value v = Value::Collection(std::move(obj));
        if (e) {
          e->value = std::move(v);
          db.ClearExpire(e);
        } else {
          db.Insert(dest, std::move(v));
        }
        NotifyKeyspaceEvent(c, kNotifyList, "sortstore", dest);
        return 0;
      },
      [pending, count](std::vector<int>&) {
        pending->Finish([count](ReplyBuilder& rb) { rb.Integer(count); });
      });
}

// Phase 2: reads the keys named by BY and GET patterns on their shards.
void FetchPatterns(std::shared_ptr<SortJob> job, CmdCtx& ctx, PendingReply* pending) {
  const Loaded& L = job->loaded;
  std::vector<const std::string*> pats;
  if (L.by) pats.push_back(&*job->opts.by);
  for (const std::string& g : job->opts.gets) pats.push_back(&g);
  size_t n = L.elems.size();
  job->values.assign(pats.size(), std::vector<std::optional<std::string>>(n));
  Engine& eng = ctx.svc->engine();
  // Per shard: the lookups and where each answer goes (pattern, element).
  auto per = std::make_shared<std::vector<std::vector<Lookup>>>(eng.size());
  std::vector<std::vector<std::pair<size_t, size_t>>> where(eng.size());
  for (size_t p = 0; p < pats.size(); ++p) {
    if (*pats[p] == "#") continue;
    for (size_t j = 0; j < n; ++j) {
      auto l = PatternLookup(*pats[p], L.elems[j]);
      if (!l) continue;
      int s = eng.ShardOf(l->key);
      (*per)[s].push_back(std::move(*l));
      where[s].emplace_back(p, j);
    }
  }
  std::vector<int> shards;
  for (int s = 0; s < eng.size(); ++s) {
    if (!(*per)[s].empty()) shards.push_back(s);
  }
  if (shards.empty()) {
    FinishSort(job, ctx, pending);
    return;
  }
  std::shared_ptr<const std::vector<std::vector<Lookup>>> lookups = per;
  using Answers = std::vector<std::optional<std::string>>;
  CmdCtx c0 = ctx;
  ctx.svc->RunOnShards<Answers>(
      ctx, shards,
      [lookups](CmdCtx& c) -> Answers {
        Answers a;
        const auto& mine = (*lookups)[c.worker->id()];
        a.reserve(mine.size());
        for (const Lookup& l : mine) a.push_back(ReadLookup(c, l));
        return a;
      },
      [job, pending, c0, shards, where = std::move(where)](std::vector<Answers>& res) mutable {
        for (size_t i = 0; i < shards.size(); ++i) {
          const auto& w = where[shards[i]];
          for (size_t k = 0; k < w.size(); ++k) {
            job->values[w[k].first][w[k].second] = std::move(res[i][k]);
          }
        }
        FinishSort(job, c0, pending);
      });
}

bool ParseSortOpts(CmdArgs args, bool readonly, SortOpts* o, ReplyBuilder* rb) {
  for (size_t j = 2; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    std::string a = ToLower(args[j]);
    if (a == "asc") {
      o->desc = false;
    } else if (a == "desc") {
      o->desc = true;
    } else if (a == "alpha") {
      o->alpha = true;
    } else if (a == "limit" && left >= 2) {
      if (!ParseInt64(args[j + 1], &o->limit_start) ||
          !ParseInt64(args[j + 2], &o->limit_count)) {
        rb->Error(err::kNotInt);
        return false;
      }
      j += 2;
    } else if (!readonly && a == "store" && left >= 1) {
      o->store = std::string(args[j + 1]);
      ++j;
    } else if (a == "by" && left >= 1) {
      o->by = std::string(args[j + 1]);
      if (args[j + 1].find('*') == std::string_view::npos) o->dontsort = true;
      ++j;
    } else if (a == "get" && left >= 1) {
      o->gets.emplace_back(args[j + 1]);
      ++j;
    } else {
      rb->Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

void SortGeneric(CmdArgs args, CmdCtx& ctx, bool readonly) {
  auto job = std::make_shared<SortJob>();
  if (!ParseSortOpts(args, readonly, &job->opts, ctx.rb)) return;
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  std::string key(args[1]);
  SortOpts opts = job->opts;
  CmdCtx c0 = ctx;
  ctx.svc->RunOnShards<Loaded>(
      ctx, {ctx.svc->engine().ShardOf(key)},
      [key, opts](CmdCtx& c) -> Loaded { return LoadElements(c, key, opts); },
      [job, pending, c0](std::vector<Loaded>& r) mutable {
        if (r[0].wrong_type) {
          pending->Finish([](ReplyBuilder& rb) { rb.Error(err::kWrongType); });
          return;
        }
        job->loaded = std::move(r[0]);
        FetchPatterns(job, c0, pending);
      });
}

void CmdSort(CmdArgs args, CmdCtx& ctx) { SortGeneric(args, ctx, false); }
void CmdSortRo(CmdArgs args, CmdCtx& ctx) { SortGeneric(args, ctx, true); }

// Redis's sortGetKeys: the sorted key and the STORE destination.
void SortGetKeys(CmdArgs args, std::vector<size_t>* keys) {
  keys->push_back(1);
  size_t store = 0;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string a = ToLower(args[i]);
    if (a == "limit") {
      i += 2;
    } else if (a == "get" || a == "by") {
      i += 1;
    } else if (a == "store" && i + 1 < args.size()) {
      store = i + 1;
    }
  }
  if (store) keys->push_back(store);
}

}  // namespace

void RegisterSortFamily(Service& svc) {
  CommandSpec sort = Cmd("sort", -2, kCmdWrite | kCmdDenyOom | kCmdConn, 1, 1, 1,
                         "write set sortedset list slow dangerous", CmdSort);
  sort.getkeys = SortGetKeys;
  CommandSpec sort_ro = Cmd("sort_ro", -2, kCmdReadOnly | kCmdConn, 1, 1, 1,
                            "read set sortedset list slow dangerous", CmdSortRo);
  std::vector<CommandSpec> cmds;
  cmds.push_back(std::move(sort));
  cmds.push_back(std::move(sort_ro));
  svc.Register(std::move(cmds));
}

}  // namespace kora
