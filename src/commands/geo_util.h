// The geo family's parts: geo_family.cc (GEOADD GEODIST GEOHASH GEOPOS, registration) and
// geo_search.cc (GEOSEARCH GEOSEARCHSTORE GEORADIUS* ). Geo sets are sorted sets whose scores
// are 52-bit geohashes (core/geohash.h).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/strutil.h"
#include "commands/family_util.h"
#include "core/geohash.h"
#include "core/zset_object.h"

namespace kora {

std::vector<CommandSpec> GeoSearchCommands();

namespace geo {

// "ERR invalid longitude,latitude pair %f,%f" (Redis's extractLongLatOrReply).
inline std::string InvalidPairError(double lon, double lat) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", lon, lat);
  return buf;
}

inline constexpr std::string_view kBadUnit =
    "ERR unsupported unit provided. please use M, KM, FT, MI";

// Meters per unit, or 0 for an unknown unit (Redis's extractUnitOrReply).
inline double UnitFactor(std::string_view u) {
  if (EqualsIgnoreCase(u, "m")) return 1;
  if (EqualsIgnoreCase(u, "km")) return 1000;
  if (EqualsIgnoreCase(u, "ft")) return 0.3048;
  if (EqualsIgnoreCase(u, "mi")) return 1609.34;
  return 0;
}

// Redis's addReplyHumanLongDouble (a bulk string in RESP2, a double in RESP3).
inline void ReplyHuman(ReplyBuilder& rb, double d) {
  std::string s = LongDoubleToString(d);
  if (rb.resp() >= 3) {
    rb.Raw(",");
    rb.Raw(s);
    rb.Raw("\r\n");
  } else {
    rb.Bulk(s);
  }
}

// The position of `member`, decoded from its score; false when absent.
inline bool MemberPos(const ZSetObject* z, std::string_view member, double* lon, double* lat) {
  double score;
  if (z == nullptr || !z->Score(member, &score)) return false;
  Decode(static_cast<uint64_t>(score), lon, lat);
  return true;
}

}  // namespace geo
}  // namespace kora
