// GEOSEARCH GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER GEORADIUS_RO GEORADIUSBYMEMBER_RO, as
// Redis 7.0's georadiusGeneric: the same argument walk (so the same error wins), the same
// nine geohash cells scanned in the same order (core/geohash_area.cc), the same sorts (a stable
// qsort, or pqsort with COUNT) so ties and COUNT ANY pick the same members.
//
// The search runs on the source key's shard. Without STORE it replies there; with a STORE
// destination on the same shard it stores there too; otherwise a coordinator runs the search
// on the source's shard and then stores on the destination's (holding the barrier).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "commands/geo_pqsort.h"
#include "commands/geo_util.h"
#include "commands/service.h"
#include "commands/zset_util.h"

namespace kora {
namespace {

enum SearchFlag : int {
  kByCoords = 1,      // GEORADIUS: around lon lat
  kByMember = 2,      // GEORADIUSBYMEMBER: around a member
  kNoStore = 4,       // the _RO forms
  kSearch = 8,        // GEOSEARCH syntax
  kSearchStore = 16,  // GEOSEARCHSTORE
};

enum class Sort { kNone, kAsc, kDesc };

struct Query {
  geo::Shape shape;
  bool withdist = false, withhash = false, withcoord = false;
  bool any = false;
  int64_t count = 0;
  Sort sort = Sort::kNone;
  int store_index = 0;  // argument index of the destination key, 0: none
  bool storedist = false;
};

struct Point {
  std::string member;
  double dist, score, lon, lat;
};

// What the search produced on the source's shard.
struct Outcome {
  std::string error;          // non-empty: the reply
  bool missing = false;       // no source key
  std::vector<Point> points;  // the returned items, in reply order, distances in the unit
  Query q;
};

bool ParseLonLat(CmdArgs args, size_t i, double* lon, double* lat, std::string* err) {
  if (!ParseDouble(args[i], lon) || !ParseDouble(args[i + 1], lat)) {
    *err = err::kNotFloat;
    return false;
  }
  if (!geo::ValidLonLat(*lon, *lat)) {
    *err = geo::InvalidPairError(*lon, *lat);
    return false;
  }
  return true;
}

// Redis's extractDistanceOrReply: radius unit.
bool ParseRadius(CmdArgs args, size_t i, geo::Shape* s, std::string* err) {
  double r;
  if (!ParseDouble(args[i], &r)) {
    *err = "ERR need numeric radius";
    return false;
  }
  if (r < 0) {
    *err = "ERR radius cannot be negative";
    return false;
  }
  s->radius = r;
  double f = geo::UnitFactor(args[i + 1]);
  if (f == 0) {
    *err = geo::kBadUnit;
    return false;
  }
  s->conversion = f;
  return true;
}

// Redis's extractBoxOrReply: width height unit.
bool ParseBox(CmdArgs args, size_t i, geo::Shape* s, std::string* err) {
  double w, h;
  if (!ParseDouble(args[i], &w)) {
    *err = "ERR need numeric width";
    return false;
  }
  if (!ParseDouble(args[i + 1], &h)) {
    *err = "ERR need numeric height";
    return false;
  }
  if (h < 0 || w < 0) {
    *err = "ERR height or width cannot be negative";
    return false;
  }
  s->width = w;
  s->height = h;
  double f = geo::UnitFactor(args[i + 2]);
  if (f == 0) {
    *err = geo::kBadUnit;
    return false;
  }
  s->conversion = f;
  return true;
}

// The argument walk of georadiusGeneric. `z` is the source (nullptr when missing): members
// are decoded as they are met, as Redis does. Returns "" or the error to reply.
std::string ParseQuery(CmdArgs args, int flags, const ZSetObject* z, Query* q) {
  std::string err;
  geo::Shape& s = q->shape;
  size_t base;
  if (flags & kByCoords) {
    base = 6;
    if (!ParseLonLat(args, 2, &s.lon, &s.lat, &err)) return err;
    if (!ParseRadius(args, 4, &s, &err)) return err;
  } else if (flags & kByMember) {
    base = 5;
    if (z != nullptr) {
      if (!geo::MemberPos(z, args[2], &s.lon, &s.lat)) {
        return "ERR could not decode requested zset member";
      }
      if (!ParseRadius(args, 3, &s, &err)) return err;
    }
  } else {
    base = 2;
    if (flags & kSearchStore) {
      base = 3;
      q->store_index = 1;
    }
  }
  bool frommember = false, fromloc = false, byradius = false, bybox = false;
  const size_t remaining = args.size() > base ? args.size() - base : 0;
  const bool search = flags & kSearch;
  const bool can_store = !(flags & kNoStore) && !search;
  for (size_t i = 0; i < remaining; ++i) {
    std::string_view a = args[base + i];
    if (EqualsIgnoreCase(a, "withdist")) {
      q->withdist = true;
    } else if (EqualsIgnoreCase(a, "withhash")) {
      q->withhash = true;
    } else if (EqualsIgnoreCase(a, "withcoord")) {
      q->withcoord = true;
    } else if (EqualsIgnoreCase(a, "any")) {
      q->any = true;
    } else if (EqualsIgnoreCase(a, "asc")) {
      q->sort = Sort::kAsc;
    } else if (EqualsIgnoreCase(a, "desc")) {
      q->sort = Sort::kDesc;
    } else if (EqualsIgnoreCase(a, "count") && i + 1 < remaining) {
      if (!ParseInt64(args[base + i + 1], &q->count)) return std::string(err::kNotInt);
      if (q->count <= 0) return "ERR COUNT must be > 0";
      ++i;
    } else if (EqualsIgnoreCase(a, "store") && i + 1 < remaining && can_store) {
      q->store_index = static_cast<int>(base + i + 1);
      q->storedist = false;
      ++i;
    } else if (EqualsIgnoreCase(a, "storedist") && i + 1 < remaining && can_store) {
      q->store_index = static_cast<int>(base + i + 1);
      q->storedist = true;
      ++i;
    } else if (EqualsIgnoreCase(a, "storedist") && search && (flags & kSearchStore)) {
      q->storedist = true;
    } else if (EqualsIgnoreCase(a, "frommember") && i + 1 < remaining && search && !fromloc) {
      if (z != nullptr && !geo::MemberPos(z, args[base + i + 1], &s.lon, &s.lat)) {
        return "ERR could not decode requested zset member";
      }
      frommember = true;
      ++i;
    } else if (EqualsIgnoreCase(a, "fromlonlat") && i + 2 < remaining && search && !frommember) {
      if (!ParseLonLat(args, base + i + 1, &s.lon, &s.lat, &err)) return err;
      fromloc = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "byradius") && i + 2 < remaining && search && !bybox) {
      if (!ParseRadius(args, base + i + 1, &s, &err)) return err;
      s.box = false;
      byradius = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "bybox") && i + 3 < remaining && search && !byradius) {
      if (!ParseBox(args, base + i + 1, &s, &err)) return err;
      s.box = true;
      bybox = true;
      i += 3;
    } else {
      return std::string(err::kSyntax);
    }
  }
  if (q->store_index && (q->withdist || q->withhash || q->withcoord)) {
    return std::string("ERR ") +
           ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
           " is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
  }
  if (search && !(frommember || fromloc)) {
    return "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
           std::string(args[0]);
  }
  if (search && !(byradius || bybox)) {
    return "ERR exactly one of BYRADIUS and BYBOX can be specified for " + std::string(args[0]);
  }
  if (q->any && q->count == 0) return "ERR the ANY argument requires COUNT argument";
  return "";
}

// Appends the members whose scores lie in [min, max) and inside the shape (Redis's
// geoGetPointsInRange), stopping at `limit` points when it is not 0.
void PointsInRange(const ZSetObject& z, double min, double max, const geo::Shape& s, size_t limit,
                   std::vector<Point>* out) {
  ZScoreRange r;
  r.min = min;
  r.max = max;
  r.maxex = true;
  auto [first, last] = z.ScoreSpan(r);
  if (first >= last) return;
  ZSetObject::Iterator it = z.Seek(first);
  for (size_t n = first; n < last && it.valid(); ++n, it.Next()) {
    double score = it.score();
    double lon, lat, dist;
    geo::Decode(static_cast<uint64_t>(score), &lon, &lat);
    if (geo::InShape(s, lon, lat, &dist)) {
      out->push_back(Point{std::string(it.member()), dist, score, lon, lat});
    }
    if (!out->empty() && limit && out->size() >= limit) break;
  }
}

// Redis's membersOfAllNeighbors: the nine cells in order, skipping cleared ones and a cell
// equal to the one searched just before (but, as in Redis, never comparing with cell 0).
std::vector<Point> Candidates(const ZSetObject& z, const geo::Shape& s, size_t limit) {
  geo::SearchCells cells = geo::CellsForShape(s);
  std::vector<Point> pts;
  size_t last = 0;
  for (size_t i = 0; i < 9; ++i) {
    const geo::Cell& c = cells.cells[i];
    if (c.zero()) continue;
    if (last && c.bits == cells.cells[last].bits && c.step == cells.cells[last].step) continue;
    if (!pts.empty() && limit && pts.size() >= limit) break;
    geo::Cell next = c;
    next.bits++;
    PointsInRange(z, static_cast<double>(geo::Align52(c)), static_cast<double>(geo::Align52(next)),
                  s, limit, &pts);
    last = i;
  }
  return pts;
}

int CompareDist(const Point& a, const Point& b) {
  return a.dist > b.dist ? 1 : (a.dist == b.dist ? 0 : -1);
}

// Parses and searches on the source's shard (ctx.db() holds args[src]).
Outcome Evaluate(CmdCtx& ctx, CmdArgs args, int flags) {
  Outcome o;
  size_t src = (flags & kSearchStore) ? 2 : 1;
  bool wrong_type;
  const ZSetObject* z = zset::Lookup(ctx, args[src], /*read=*/true, &wrong_type);
  if (wrong_type) {
    o.error = err::kWrongType;
    return o;
  }
  o.error = ParseQuery(args, flags, z, &o.q);
  if (!o.error.empty()) return o;
  if (z == nullptr) {
    o.missing = true;
    return o;
  }
  Query& q = o.q;
  if (q.count != 0 && q.sort == Sort::kNone && !q.any) q.sort = Sort::kAsc;
  std::vector<Point> pts = Candidates(*z, q.shape, q.any ? static_cast<size_t>(q.count) : 0);
  size_t returned = (q.count == 0 || pts.size() < static_cast<size_t>(q.count))
                        ? pts.size()
                        : static_cast<size_t>(q.count);
  if (q.sort != Sort::kNone && !pts.empty()) {
    const bool desc = q.sort == Sort::kDesc;
    auto cmp = [desc](const Point& a, const Point& b) {
      return desc ? -CompareDist(a, b) : CompareDist(a, b);
    };
    if (returned == pts.size()) {
      // glibc's qsort is a stable merge sort for arrays like these.
      std::stable_sort(pts.begin(), pts.end(),
                       [&cmp](const Point& a, const Point& b) { return cmp(a, b) < 0; });
    } else {
      geo::PartialSort(pts.data(), pts.size(), cmp, 0, returned - 1);
    }
  }
  pts.resize(returned);
  for (Point& p : pts) p.dist /= q.shape.conversion;
  o.points = std::move(pts);
  return o;
}

void ReplyPoints(ReplyBuilder& rb, const Outcome& o) {
  const Query& q = o.q;
  int options = (q.withdist ? 1 : 0) + (q.withhash ? 1 : 0) + (q.withcoord ? 1 : 0);
  rb.ArrayHeader(static_cast<int64_t>(o.points.size()));
  for (const Point& p : o.points) {
    if (options) rb.ArrayHeader(options + 1);
    rb.Bulk(p.member);
    if (q.withdist) {
      char buf[128];
      int n = std::snprintf(buf, sizeof(buf), "%.4f", p.dist);
      rb.Bulk(std::string_view(buf, n));
    }
    if (q.withhash) rb.Integer(static_cast<int64_t>(p.score));
    if (q.withcoord) {
      rb.ArrayHeader(2);
      geo::ReplyHuman(rb, p.lon);
      geo::ReplyHuman(rb, p.lat);
    }
  }
}

// Writes the result at `dst` on its shard (deleting it when there is none); returns the count
// to reply.
int64_t StorePoints(CmdCtx& ctx, std::string_view dst, const Outcome& o) {
  if (o.missing || o.points.empty()) {
    if (KeyEntry* e = ctx.db().Peek(dst, ctx.now_ms)) {
      ctx.db().Erase(e);
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", dst);
    }
    return 0;
  }
  zset::ElemViews v;
  v.reserve(o.points.size());
  size_t max_len = 0;
  for (const Point& p : o.points) {
    v.emplace_back(p.member, o.q.storedist ? p.dist : p.score);
    max_len = std::max(max_len, p.member.size());
  }
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  v.erase(std::unique(v.begin(), v.end(),
                      [](const auto& a, const auto& b) { return a.first == b.first; }),
          v.end());
  zset::StoreResult(ctx, dst, v, max_len);
  return static_cast<int64_t>(o.points.size());
}

// Single-shard form: the source (and the destination, if any) live on this shard.
void SearchHere(CmdArgs args, CmdCtx& ctx, int flags) {
  Outcome o = Evaluate(ctx, args, flags);
  if (!o.error.empty()) return ctx.rb->Error(o.error);
  if (o.q.store_index) return ctx.rb->Integer(StorePoints(ctx, args[o.q.store_index], o));
  if (o.missing) return ctx.rb->ArrayHeader(0);
  ReplyPoints(*ctx.rb, o);
}

// Coordinator: the destination lives on another shard than the source.
void SearchAcross(CmdArgs args, CmdCtx& ctx, int flags) {
  auto owned = std::make_shared<std::vector<std::string>>(args.begin(), args.end());
  std::shared_ptr<const std::vector<std::string>> argv = std::move(owned);
  size_t src = (flags & kSearchStore) ? 2 : 1;
  auto* pending = new PendingReply(ctx.conn, /*barrier=*/true);
  CmdCtx base = ctx;
  zset::OnKeyShard<std::shared_ptr<const Outcome>>(
      ctx, (*argv)[src],
      [argv, flags](CmdCtx& c) -> std::shared_ptr<const Outcome> {
        std::vector<std::string_view> views(argv->begin(), argv->end());
        return std::make_shared<const Outcome>(
            Evaluate(c, CmdArgs(views.data(), views.size()), flags));
      },
      [argv, base, pending](std::shared_ptr<const Outcome>& o) {
        if (!o->error.empty()) {
          return pending->Finish([o](ReplyBuilder& rb) { rb.Error(o->error); });
        }
        if (!o->q.store_index) {  // not reached: only a STORE spreads over shards
          return pending->Finish([o](ReplyBuilder& rb) { ReplyPoints(rb, *o); });
        }
        std::string dst = (*argv)[o->q.store_index];
        CmdCtx c = zset::NextHop(base);
        zset::OnKeyShard<int64_t>(
            c, dst, [dst, o](CmdCtx& s) { return StorePoints(s, dst, *o); },
            [pending](int64_t& n) { pending->Finish([n](ReplyBuilder& rb) { rb.Integer(n); }); });
      });
}

void CmdGeoRadius(CmdArgs a, CmdCtx& c) { SearchHere(a, c, kByCoords); }
void CmdGeoRadiusByMember(CmdArgs a, CmdCtx& c) { SearchHere(a, c, kByMember); }
void CmdGeoRadiusRo(CmdArgs a, CmdCtx& c) { SearchHere(a, c, kByCoords | kNoStore); }
void CmdGeoRadiusByMemberRo(CmdArgs a, CmdCtx& c) { SearchHere(a, c, kByMember | kNoStore); }
void CmdGeoSearch(CmdArgs a, CmdCtx& c) { SearchHere(a, c, kSearch); }
void CmdGeoSearchStore(CmdArgs a, CmdCtx& c) { SearchHere(a, c, kSearch | kSearchStore); }
void MultiGeoRadius(CmdArgs a, CmdCtx& c) { SearchAcross(a, c, kByCoords); }
void MultiGeoRadiusByMember(CmdArgs a, CmdCtx& c) { SearchAcross(a, c, kByMember); }
void MultiGeoSearchStore(CmdArgs a, CmdCtx& c) { SearchAcross(a, c, kSearch | kSearchStore); }

// Redis's georadiusGetKeys: the source and the last STORE/STOREDIST destination.
void GeoRadiusGetKeys(CmdArgs args, std::vector<size_t>* keys) {
  keys->push_back(1);
  size_t stored = 0;
  for (size_t i = 5; i < args.size(); ++i) {
    if ((EqualsIgnoreCase(args[i], "store") || EqualsIgnoreCase(args[i], "storedist")) &&
        i + 1 < args.size()) {
      stored = i + 1;
      ++i;
    }
  }
  if (stored) keys->push_back(stored);
}

}  // namespace

std::vector<CommandSpec> GeoSearchCommands() {
  const uint32_t w = kCmdWrite | kCmdDenyOom, r = kCmdReadOnly;
  CommandSpec radius =
      Cmd("georadius", -6, w, 1, 1, 1, "write geo slow", CmdGeoRadius, MultiGeoRadius);
  radius.getkeys = GeoRadiusGetKeys;
  CommandSpec by_member = Cmd("georadiusbymember", -5, w, 1, 1, 1, "write geo slow",
                              CmdGeoRadiusByMember, MultiGeoRadiusByMember);
  by_member.getkeys = GeoRadiusGetKeys;
  std::vector<CommandSpec> out;
  out.push_back(std::move(radius));
  out.push_back(std::move(by_member));
  out.push_back(zset::Row("georadius_ro", -6, r, "read geo slow", "RO access", CmdGeoRadiusRo));
  out.push_back(zset::Row("georadiusbymember_ro", -5, r, "read geo slow", "RO access",
                          CmdGeoRadiusByMemberRo));
  out.push_back(zset::Row("geosearch", -7, r, "read geo slow", "RO access", CmdGeoSearch));
  CommandSpec store = Cmd("geosearchstore", -8, w, 1, 2, 1, "write geo slow", CmdGeoSearchStore,
                          MultiGeoSearchStore);
  store.key_specs = {KeySpec{"OW update", 1}, KeySpec{"RO access", 2}};
  out.push_back(std::move(store));
  return out;
}

}  // namespace kora
