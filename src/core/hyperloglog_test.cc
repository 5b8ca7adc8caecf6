#include "core/hyperloglog.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace kora::hll {
namespace {

std::vector<uint8_t> Registers(std::string_view s) {
  std::vector<uint8_t> r(kRegisters);
  EXPECT_TRUE(MergeInto(s, r.data()));
  return r;
}

TEST(HyperLogLog, EmptySketchIsSparseXZeroRuns) {
  std::string s = CreateEmpty();
  ASSERT_EQ(s.size(), kHeaderSize + 2);
  EXPECT_EQ(s.substr(0, 5), std::string("HYLL\x01", 5));
  EXPECT_EQ(static_cast<uint8_t>(s[16]), 0x7f);
  EXPECT_EQ(static_cast<uint8_t>(s[17]), 0xff);
  EXPECT_TRUE(LooksValid(s));
  uint64_t card = 1;
  EXPECT_TRUE(CachedCardinality(s, &card));
  EXPECT_EQ(card, 0u);
  bool invalid = false;
  EXPECT_EQ(Count(s, &invalid), 0u);
  EXPECT_FALSE(invalid);
}

TEST(HyperLogLog, MurmurHashMatchesReference) {
  // MurmurHash64A("", 0) = 0 ^ ... mixes to a fixed value; check determinism and tail bytes.
  EXPECT_EQ(MurmurHash64A("", 0, 0), 0u);
  EXPECT_NE(MurmurHash64A("a", 1, 0xadc83b19), MurmurHash64A("b", 1, 0xadc83b19));
  EXPECT_NE(MurmurHash64A("abcdefgh", 8, 1), MurmurHash64A("abcdefgi", 8, 1));
}

TEST(HyperLogLog, ValidityChecks) {
  EXPECT_FALSE(LooksValid("HYLL"));
  std::string s = CreateEmpty();
  s[4] = 2;
  EXPECT_FALSE(LooksValid(s));
  s[4] = kDense;
  EXPECT_FALSE(LooksValid(s));  // dense must be exactly kDenseSize bytes
  s = CreateEmpty();
  s[0] = 'h';
  EXPECT_FALSE(LooksValid(s));
}

TEST(HyperLogLog, SparseAndDenseAgree) {
  std::string sparse = CreateEmpty();
  std::string dense = CreateEmpty();
  ASSERT_TRUE(SparseToDense(&dense));
  ASSERT_EQ(dense.size(), kDenseSize);
  for (int i = 0; i < 2000; ++i) {
    std::string e = "element:" + std::to_string(i);
    int a = Add(&sparse, e, 1 << 20);
    int b = Add(&dense, e, 1 << 20);
    ASSERT_EQ(a, b) << i;
  }
  EXPECT_EQ(EncodingOf(sparse), kSparse);
  EXPECT_EQ(Registers(sparse), Registers(dense));
  bool invalid = false;
  uint64_t c1 = Count(sparse, &invalid);
  uint64_t c2 = Count(dense, &invalid);
  EXPECT_FALSE(invalid);
  EXPECT_EQ(c1, c2);
  EXPECT_NEAR(static_cast<double>(c1), 2000, 2000 * 0.05);
  std::string converted = sparse;
  ASSERT_TRUE(SparseToDense(&converted));
  EXPECT_EQ(converted.substr(kHeaderSize), dense.substr(kHeaderSize));
}

TEST(HyperLogLog, PromotesPastSparseLimit) {
  std::string s = CreateEmpty();
  int i = 0;
  while (EncodingOf(s) == kSparse) {
    ASSERT_GE(Add(&s, std::to_string(i++), kDefaultSparseMaxBytes), 0);
    if (EncodingOf(s) == kSparse) {
      ASSERT_LE(s.size(), kDefaultSparseMaxBytes);
    }
  }
  EXPECT_EQ(s.size(), kDenseSize);
  EXPECT_GT(i, 100);
}

TEST(HyperLogLog, EstimateIsAccurate) {
  std::string s = CreateEmpty();
  for (int i = 0; i < 100000; ++i) Add(&s, "k" + std::to_string(i), kDefaultSparseMaxBytes);
  bool invalid = false;
  double c = static_cast<double>(Count(s, &invalid));
  EXPECT_NEAR(c, 100000, 100000 * 6 * 1.04 / 128);
  std::vector<uint8_t> r = Registers(s);
  EXPECT_EQ(CountRegisters(r.data()), Count(s, &invalid));
}

TEST(HyperLogLog, CacheBitRoundTrips) {
  std::string s = CreateEmpty();
  SetCachedCardinality(&s, 12345);
  uint64_t c = 0;
  ASSERT_TRUE(CachedCardinality(s, &c));
  EXPECT_EQ(c, 12345u);
  InvalidateCache(&s);
  EXPECT_FALSE(CachedCardinality(s, &c));
}

TEST(HyperLogLog, CorruptSparseIsDetected) {
  std::string s = CreateEmpty();
  s.push_back(static_cast<char>(0x80));  // a VAL run past the last register
  std::vector<uint8_t> r(kRegisters);
  EXPECT_FALSE(MergeInto(s, r.data()));
  EXPECT_FALSE(SparseToDense(&s));
  bool invalid = false;
  Count(s, &invalid);
  EXPECT_TRUE(invalid);
  std::string truncated = CreateEmpty().substr(0, kHeaderSize);
  EXPECT_EQ(Add(&truncated, "x", kDefaultSparseMaxBytes), -1);
}

TEST(HyperLogLog, StoreMergedUnion) {
  std::string a = CreateEmpty(), b = CreateEmpty();
  for (int i = 0; i < 300; ++i) Add(&a, "a" + std::to_string(i), kDefaultSparseMaxBytes);
  for (int i = 0; i < 300; ++i) Add(&b, "b" + std::to_string(i), kDefaultSparseMaxBytes);
  std::vector<uint8_t> max(kRegisters);
  ASSERT_TRUE(MergeInto(a, max.data()));
  ASSERT_TRUE(MergeInto(b, max.data()));
  std::string dst = CreateEmpty();
  ASSERT_TRUE(StoreMerged(&dst, max.data(), false, kDefaultSparseMaxBytes));
  EXPECT_EQ(Registers(dst), max);
  uint64_t c;
  EXPECT_FALSE(CachedCardinality(dst, &c));
}

TEST(HyperLogLog, DecodeSparse) {
  EXPECT_EQ(DecodeSparse(CreateEmpty()), "Z:16384");
}

TEST(HyperLogLog, SelfTestPasses) { EXPECT_EQ(SelfTest(kDefaultSparseMaxBytes, 42), ""); }

}  // namespace
}  // namespace kora::hll
