#include "core/geohash.h"

#include <cmath>

namespace kora::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;

}  // namespace

bool ValidLonLat(double lon, double lat) {
  return !(lon < kLonMin || lon > kLonMax || lat < kLatMin || lat > kLatMax);
}

uint64_t Encode(double lon, double lat, double lat_min, double lat_max) {
  if (lon > kLonMax || lon < kLonMin || lat > lat_max || lat < lat_min) return 0;
  double lat_off = (lat - lat_min) / (lat_max - lat_min);
  double lon_off = (lon - kLonMin) / (kLonMax - kLonMin);
  lat_off *= static_cast<double>(1ULL << kStep);
  lon_off *= static_cast<double>(1ULL << kStep);
  return Spread(static_cast<uint32_t>(lat_off)) | (Spread(static_cast<uint32_t>(lon_off)) << 1);
}

void Decode(uint64_t bits, double* lon, double* lat) {
  uint32_t ilat = Gather(bits), ilon = Gather(bits >> 1);
  double cells = static_cast<double>(1ULL << kStep);
  double lat_scale = kLatMax - kLatMin, lon_scale = kLonMax - kLonMin;
  double lat_lo = kLatMin + (ilat * 1.0 / cells) * lat_scale;
  double lat_hi = kLatMin + ((ilat + 1) * 1.0 / cells) * lat_scale;
  double lon_lo = kLonMin + (ilon * 1.0 / cells) * lon_scale;
  double lon_hi = kLonMin + ((ilon + 1) * 1.0 / cells) * lon_scale;
  double x = (lon_lo + lon_hi) / 2, y = (lat_lo + lat_hi) / 2;
  *lon = x > kLonMax ? kLonMax : (x < kLonMin ? kLonMin : x);
  *lat = y > kLatMax ? kLatMax : (y < kLatMin ? kLatMin : y);
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double lon1r = lon1 * kDegToRad, lon2r = lon2 * kDegToRad;
  double v = std::sin((lon2r - lon1r) / 2);
  // Same longitude: the distance along the meridian.
  if (v == 0.0) return kEarthRadius * std::fabs(lat2 * kDegToRad - lat1 * kDegToRad);
  double lat1r = lat1 * kDegToRad, lat2r = lat2 * kDegToRad;
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadius * std::asin(std::sqrt(a));
}

std::string StandardHash(uint64_t bits) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon, lat;
  Decode(bits, &lon, &lat);
  uint64_t h = Encode(lon, lat, -90, 90);
  std::string out(11, '0');
  for (int i = 0; i < 10; ++i) out[i] = kAlphabet[(h >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

}  // namespace kora::geo
