// GEOADD GEODIST GEOHASH GEOPOS and the family's registration (see geo_util.h).
#include <cstdio>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "commands/families.h"
#include "commands/geo_util.h"
#include "commands/notify.h"
#include "commands/zset_util.h"
#include "core/geohash.h"

namespace kora {
namespace {

using geo::MemberPos;
using geo::ReplyHuman;
using geo::UnitFactor;
using zset::Lookup;

void CmdGeoAdd(CmdArgs args, CmdCtx& ctx) {
  bool nx = false, xx = false, ch = false;
  size_t idx = 2;
  for (; idx < args.size(); ++idx) {
    if (EqualsIgnoreCase(args[idx], "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(args[idx], "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(args[idx], "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  if ((args.size() - idx) % 3 != 0 || (nx && xx)) return ctx.rb->Error(err::kSyntax);
  size_t elements = (args.size() - idx) / 3;
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    double lon, lat;
    if (!ParseDouble(args[idx + 3 * j], &lon) || !ParseDouble(args[idx + 3 * j + 1], &lat)) {
      return ctx.rb->Error(err::kNotFloat);
    }
    if (!geo::ValidLonLat(lon, lat)) return ctx.rb->Error(geo::InvalidPairError(lon, lat));
    scores[j] = static_cast<double>(geo::Encode(lon, lat));
  }
  if (elements == 0) return ctx.rb->Error(err::kSyntax);
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], /*read=*/false, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  ZLimits lim = zset::Limits(ctx);
  if (z == nullptr) {
    if (xx) return ctx.rb->Integer(0);
    std::unique_ptr<ZSetObject> fresh = ZSetObject::Create(0, args[idx + 2].size(), lim);
    z = fresh.get();
    ctx.db().Insert(args[1], Value::Collection(std::move(fresh)));
  }
  int flags = (nx ? ZSetObject::kAddNx : 0) | (xx ? ZSetObject::kAddXx : 0);
  int64_t added = 0, updated = 0;
  for (size_t j = 0; j < elements; ++j) {
    int out = 0;
    double newscore = 0;
    z->Add(args[idx + 3 * j + 2], scores[j], flags, lim, &out, &newscore);
    if (out & ZSetObject::kOutAdded) ++added;
    if (out & ZSetObject::kOutUpdated) ++updated;
  }
  if (added || updated) NotifyKeyspaceEvent(ctx, kNotifyZset, "zadd", args[1]);
  ctx.rb->Integer(ch ? added + updated : added);
}

void CmdGeoDist(CmdArgs args, CmdCtx& ctx) {
  double factor = 1;
  if (args.size() == 5) {
    factor = UnitFactor(args[4]);
    if (factor == 0) {
      return ctx.rb->Error(geo::kBadUnit);
    }
  } else if (args.size() > 5) {
    return ctx.rb->Error(err::kSyntax);
  }
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  double lon1, lat1, lon2, lat2;
  if (!MemberPos(z, args[2], &lon1, &lat1) || !MemberPos(z, args[3], &lon2, &lat2)) {
    return ctx.rb->Null();
  }
  char buf[128];
  int n = std::snprintf(buf, sizeof(buf), "%.4f", geo::Distance(lon1, lat1, lon2, lat2) / factor);
  ctx.rb->Bulk(std::string_view(buf, n));
}

void CmdGeoHash(CmdArgs args, CmdCtx& ctx) {
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 2));
  for (size_t j = 2; j < args.size(); ++j) {
    double score;
    if (z == nullptr || !z->Score(args[j], &score)) {
      ctx.rb->Null();
    } else {
      ctx.rb->Bulk(geo::StandardHash(static_cast<uint64_t>(score)));
    }
  }
}

void CmdGeoPos(CmdArgs args, CmdCtx& ctx) {
  bool wrong_type;
  ZSetObject* z = Lookup(ctx, args[1], true, &wrong_type);
  if (wrong_type) return ctx.rb->Error(err::kWrongType);
  ctx.rb->ArrayHeader(static_cast<int64_t>(args.size() - 2));
  for (size_t j = 2; j < args.size(); ++j) {
    double lon, lat;
    if (!MemberPos(z, args[j], &lon, &lat)) {
      ctx.rb->NullArray();
    } else {
      ctx.rb->ArrayHeader(2);
      ReplyHuman(*ctx.rb, lon);
      ReplyHuman(*ctx.rb, lat);
    }
  }
}

}  // namespace

void RegisterGeoFamily(Service& svc) {
  const uint32_t w = kCmdWrite, r = kCmdReadOnly;
  svc.Register({
      zset::Row("geoadd", -5, w | kCmdDenyOom, "write geo slow", "RW update", CmdGeoAdd),
      zset::Row("geodist", -4, r, "read geo slow", "RO access", CmdGeoDist),
      zset::Row("geohash", -2, r, "read geo slow", "RO access", CmdGeoHash),
      zset::Row("geopos", -2, r, "read geo slow", "RO access", CmdGeoPos),
  });
  svc.Register(GeoSearchCommands());
}

}  // namespace kora
