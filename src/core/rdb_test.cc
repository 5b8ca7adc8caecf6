#include "core/rdb.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/hash_object.h"
#include "core/list_object.h"
#include "core/rdb_crc64.h"
#include "core/rdb_listpack.h"
#include "core/rdb_lzf.h"

namespace kora::rdb {
namespace {

TEST(RdbTest, Crc64CheckValue) {
  EXPECT_EQ(Crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(Crc64(0, "1234", 4), "56789", 5), 0xe9c6d914c4b8d9caULL);
}

TEST(RdbTest, LzfRoundTripAndRejectsGarbage) {
  std::mt19937_64 rng(1);
  for (int round = 0; round < 200; ++round) {
    std::string in;
    size_t n = 21 + rng() % 3000;
    for (size_t i = 0; i < n; ++i) in.push_back(static_cast<char>('a' + rng() % (1 + round % 7)));
    std::string packed;
    size_t c = LzfCompress(in, in.size() - 4, &packed);
    if (c == 0) continue;
    std::string out;
    ASSERT_TRUE(LzfDecompress(packed, in.size(), &out));
    EXPECT_EQ(out, in);
    std::string bad;
    EXPECT_FALSE(LzfDecompress(packed, in.size() + 1, &bad));
  }
  std::string out;
  EXPECT_FALSE(LzfDecompress(std::string("\xe0\xff", 2), 10, &out));  // reference before start
}

TEST(RdbTest, ListpackIntegerBoundaries) {
  ListpackWriter w;
  const char* vals[] = {"0",
                        "127",
                        "128",
                        "-1",
                        "4095",
                        "-4096",
                        "4096",
                        "32767",
                        "-32768",
                        "8388607",
                        "-8388608",
                        "2147483647",
                        "-2147483648",
                        "9223372036854775807",
                        "-9223372036854775808",
                        "007",
                        "abc",
                        ""};
  for (const char* v : vals) w.Append(v);
  std::string lp = w.Finish();
  size_t i = 0;
  ASSERT_TRUE(ListpackForEach(lp, [&](std::string_view e) {
    EXPECT_EQ(e, vals[i]);
    ++i;
    return true;
  }));
  EXPECT_EQ(i, std::size(vals));
  lp[lp.size() - 3] ^= 0x40;  // corrupt a back-length
  EXPECT_FALSE(ListpackForEach(lp, [](std::string_view) { return true; }));
}

TEST(RdbTest, DumpRestoreRoundTrip) {
  auto h = std::make_unique<HashObject>();
  h->Set("f", "v", 128);
  h->Set("n", "12", 128);
  Value v = Value::Collection(std::move(h));
  std::string payload;
  ASSERT_TRUE(DumpPayload(v, &payload));
  Limits lim;
  Value back;
  ASSERT_EQ(RestorePayload(payload, lim, &back), RestoreStatus::kOk);
  EXPECT_EQ(*back.As<HashObject>()->Get("n"), "12");
  payload[1] ^= 1;
  EXPECT_EQ(RestorePayload(payload, lim, &back), RestoreStatus::kBadChecksum);
}

}  // namespace
}  // namespace kora::rdb
