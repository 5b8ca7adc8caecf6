// The cell arithmetic behind GEOSEARCH and GEORADIUS: choosing the cell size for a search
// area, the eight neighbours of a cell and the in-shape tests, as Redis 7.0's geohash.c and
// geohash_helper.c compute them (so the candidate order, and with COUNT ANY the result, match).
#include <cmath>

#include "core/geohash.h"

namespace kora::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
constexpr double kMercatorMax = 20037726.37;

double DegRad(double d) { return d * kDegToRad; }
double RadDeg(double r) { return r / kDegToRad; }

// Moves a cell one step east/west (longitude bits, odd positions) or north/south (latitude
// bits, even positions), wrapping around (Redis's geohash_move_x / geohash_move_y).
void Move(Cell* c, int d, bool lon_axis) {
  if (d == 0) return;
  const uint64_t kOdd = 0xaaaaaaaaaaaaaaaaULL, kEven = 0x5555555555555555ULL;
  uint64_t mine = c->bits & (lon_axis ? kOdd : kEven);
  uint64_t other = c->bits & (lon_axis ? kEven : kOdd);
  int shift = 64 - c->step * 2;
  uint64_t zz = (lon_axis ? kEven : kOdd) >> shift;
  if (d > 0) {
    mine = mine + (zz + 1);
  } else {
    mine = mine | zz;
    mine = mine - (zz + 1);
  }
  mine &= (lon_axis ? kOdd : kEven) >> shift;
  c->bits = mine | other;
}

Cell Neighbour(Cell c, int dx, int dy) {
  Move(&c, dx, true);
  Move(&c, dy, false);
  return c;
}

// Redis's geohashEstimateStepsByRadius.
int EstimateSteps(double range_meters, double lat) {
  if (range_meters == 0) return 26;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

// Redis's geohashBoundingBox: min lon, min lat, max lon, max lat.
void BoundingBox(const Shape& s, double b[4]) {
  double height = s.conversion * (s.box ? s.height / 2 : s.radius);
  double width = s.conversion * (s.box ? s.width / 2 : s.radius);
  const double lat_delta = RadDeg(height / kEarthRadius);
  const double lon_delta_top = RadDeg(width / kEarthRadius / std::cos(DegRad(s.lat + lat_delta)));
  const double lon_delta_bottom =
      RadDeg(width / kEarthRadius / std::cos(DegRad(s.lat - lat_delta)));
  bool southern = s.lat < 0;
  b[0] = southern ? s.lon - lon_delta_bottom : s.lon - lon_delta_top;
  b[2] = southern ? s.lon + lon_delta_bottom : s.lon + lon_delta_top;
  b[1] = s.lat - lat_delta;
  b[3] = s.lat + lat_delta;
}

}  // namespace

bool EncodeCell(double lon, double lat, int step, Cell* out) {
  if (step > 32 || step == 0) return false;
  if (lon > kLonMax || lon < kLonMin || lat > kLatMax || lat < kLatMin) return false;
  out->bits = 0;
  out->step = static_cast<uint8_t>(step);
  double lat_off = (lat - kLatMin) / (kLatMax - kLatMin);
  double lon_off = (lon - kLonMin) / (kLonMax - kLonMin);
  lat_off *= static_cast<double>(1ULL << step);
  lon_off *= static_cast<double>(1ULL << step);
  out->bits =
      Spread(static_cast<uint32_t>(lat_off)) | (Spread(static_cast<uint32_t>(lon_off)) << 1);
  return true;
}

Area DecodeCell(Cell c) {
  Area a;
  uint32_t ilat = Gather(c.bits), ilon = Gather(c.bits >> 1);
  double cells = static_cast<double>(1ULL << c.step);
  double lat_scale = kLatMax - kLatMin, lon_scale = kLonMax - kLonMin;
  a.lat.min = kLatMin + (ilat * 1.0 / cells) * lat_scale;
  a.lat.max = kLatMin + ((ilat + 1) * 1.0 / cells) * lat_scale;
  a.lon.min = kLonMin + (ilon * 1.0 / cells) * lon_scale;
  a.lon.max = kLonMin + ((ilon + 1) * 1.0 / cells) * lon_scale;
  return a;
}

uint64_t Align52(Cell c) { return c.bits << (52 - c.step * 2); }

double LatDistance(double lat1, double lat2) {
  return kEarthRadius * std::fabs(DegRad(lat2) - DegRad(lat1));
}

SearchCells CellsForShape(const Shape& s) {
  double b[4];
  BoundingBox(s, b);
  const double min_lon = b[0], min_lat = b[1], max_lon = b[2], max_lat = b[3];
  double radius_m =
      s.box ? std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2)) : s.radius;
  radius_m *= s.conversion;
  int steps = EstimateSteps(radius_m, s.lat);
  Cell hash;
  EncodeCell(s.lon, s.lat, steps, &hash);
  // Redis decreases the step when a side neighbour does not reach the bounding box.
  bool decrease = DecodeCell(Neighbour(hash, 0, 1)).lat.max < max_lat ||
                  DecodeCell(Neighbour(hash, 0, -1)).lat.min > min_lat ||
                  DecodeCell(Neighbour(hash, 1, 0)).lon.max < max_lon ||
                  DecodeCell(Neighbour(hash, -1, 0)).lon.min > min_lon;
  if (steps > 1 && decrease) {
    steps--;
    EncodeCell(s.lon, s.lat, steps, &hash);
  }
  Area area = DecodeCell(hash);
  SearchCells out;
  Cell* c = out.cells;
  c[0] = hash;
  c[1] = Neighbour(hash, 0, 1);    // north
  c[2] = Neighbour(hash, 0, -1);   // south
  c[3] = Neighbour(hash, 1, 0);    // east
  c[4] = Neighbour(hash, -1, 0);   // west
  c[5] = Neighbour(hash, 1, 1);    // north east
  c[6] = Neighbour(hash, -1, 1);   // north west
  c[7] = Neighbour(hash, 1, -1);   // south east
  c[8] = Neighbour(hash, -1, -1);  // south west
  // Drop the neighbours that cannot hold results.
  if (steps >= 2) {
    if (area.lat.min < min_lat) c[2] = c[8] = c[7] = Cell{};
    if (area.lat.max > max_lat) c[1] = c[5] = c[6] = Cell{};
    if (area.lon.min < min_lon) c[4] = c[8] = c[6] = Cell{};
    if (area.lon.max > max_lon) c[3] = c[7] = c[5] = Cell{};
  }
  return out;
}

bool InShape(const Shape& s, double lon, double lat, double* dist) {
  if (!s.box) {
    *dist = Distance(s.lon, s.lat, lon, lat);
    return !(*dist > s.radius * s.conversion);
  }
  // Latitude first: it is cheaper (Redis's geohashGetDistanceIfInRectangle).
  if (LatDistance(lat, s.lat) > s.height * s.conversion / 2) return false;
  if (Distance(lon, lat, s.lon, lat) > s.width * s.conversion / 2) return false;
  *dist = Distance(s.lon, s.lat, lon, lat);
  return true;
}

}  // namespace kora::geo
