// Geohash encoding as Redis uses it for geo sets: 26 bits per axis interleaved into a 52-bit
// sorted-set score (latitude bits at even positions), longitude over [-180, 180] and latitude
// over the Web Mercator limits [-85.05112878, 85.05112878]; positions decode to the centre of
// their cell. Distances by the haversine formula on Redis's earth radius.
#pragma once

#include <cstdint>
#include <string>

namespace kora::geo {

inline constexpr int kStep = 26;
inline constexpr double kLonMin = -180, kLonMax = 180;
inline constexpr double kLatMin = -85.05112878, kLatMax = 85.05112878;
inline constexpr double kEarthRadius = 6372797.560856;

// Whether (lon, lat) may be stored (Redis's GEOADD range check).
bool ValidLonLat(double lon, double lat);
// The 52-bit score of (lon, lat) with latitude over [lat_min, lat_max]; 0 when out of range.
uint64_t Encode(double lon, double lat, double lat_min = kLatMin, double lat_max = kLatMax);
// The centre of the cell of a 52-bit score, clamped to the valid range.
void Decode(uint64_t bits, double* lon, double* lat);
// Haversine distance in meters (Redis's geohashGetDistance).
double Distance(double lon1, double lat1, double lon2, double lat2);
// The 11-character standard base32 geohash of a stored score (GEOHASH).
std::string StandardHash(uint64_t bits);

}  // namespace kora::geo
