#include "core/geohash.h"

#include <gtest/gtest.h>

namespace kora::geo {
namespace {

TEST(GeohashTest, EncodesLikeRedis) {
  // Scores Redis 7.0 stores for these positions (GEOADD then ZSCORE).
  EXPECT_EQ(Encode(13.361389, 38.115556), 3479099956230698ULL);
  EXPECT_EQ(Encode(15.087269, 37.502669), 3479447370796909ULL);
  EXPECT_EQ(Encode(200, 0), 0u);
}

TEST(GeohashTest, DecodesToCellCentre) {
  double lon, lat;
  Decode(Encode(13.361389, 38.115556), &lon, &lat);
  EXPECT_NEAR(lon, 13.361389, 1e-5);
  EXPECT_NEAR(lat, 38.115556, 1e-5);
}

TEST(GeohashTest, StandardHashAndDistance) {
  EXPECT_EQ(StandardHash(Encode(13.361389, 38.115556)), "sqc8b49rny0");
  EXPECT_EQ(StandardHash(Encode(15.087269, 37.502669)), "sqdtr74hyu0");
  double d = Distance(13.361389, 38.115556, 15.087269, 37.502669);
  EXPECT_NEAR(d, 166274.15, 1.0);
}

}  // namespace
}  // namespace kora::geo
