// Geohash encoding as Redis uses it for geo sets: 26 bits per axis interleaved into a 52-bit
// sorted-set score (latitude bits at even positions), longitude over [-180, 180] and latitude
// over the Web Mercator limits [-85.05112878, 85.05112878]; positions decode to the centre of
// their cell. Distances by the haversine formula on Redis's earth radius.
#pragma once

#include <cstdint>
#include <string>

namespace kora::geo {

// Spreads the 32 bits of v to the even positions of a 64-bit word (geohash interleaving).
inline uint64_t Spread(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// The inverse of Spread: gathers the even bits of x.
inline uint32_t Gather(uint64_t x) {
  x &= 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(x);
}

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

namespace kora::geo {

// A geohash cell: the `step` high bits of each axis, interleaved (Redis's GeoHashBits).
struct Cell {
  uint64_t bits = 0;
  uint8_t step = 0;
  // Redis's HASHISZERO: a cell cleared from the search.
  bool zero() const { return bits == 0 && step == 0; }
};

struct Range {
  double min = 0, max = 0;
};
struct Area {
  Range lon, lat;
};

// The cell of (lon, lat) at `step` (1..32) over the geo-set ranges; false when out of range.
bool EncodeCell(double lon, double lat, int step, Cell* out);
// The bounds of a cell over the geo-set ranges (Redis's geohashDecode).
Area DecodeCell(Cell c);
// The 52-bit score that starts the cell (Redis's geohashAlign52Bits).
uint64_t Align52(Cell c);
// Distance along a meridian (Redis's geohashGetLatDistance).
double LatDistance(double lat1, double lat2);

// A search area (Redis's GeoShape): a circle of `radius` or a `width` x `height` box around
// (lon, lat), lengths in the unit whose size in meters is `conversion`.
struct Shape {
  bool box = false;
  double lon = 0, lat = 0;
  double radius = 0, width = 0, height = 0;
  double conversion = 1;
};

// The cells Redis's geohashCalculateAreasByShapeWGS84 searches, in membersOfAllNeighbors
// order: centre, N, S, E, W, NE, NW, SE, SW; cleared cells are zero().
struct SearchCells {
  Cell cells[9];
};
SearchCells CellsForShape(const Shape& s);

// Whether the point (lon, lat) lies inside the shape; *dist gets its distance in meters from
// the centre (Redis's geohashGetDistanceIfInRadiusWGS84 / geohashGetDistanceIfInRectangle).
bool InShape(const Shape& s, double lon, double lat, double* dist);

}  // namespace kora::geo
