#include <gtest/gtest.h>

#include "base/glob.h"
#include "base/hash_slot.h"
#include "base/strutil.h"

namespace kora {

TEST(ParseInt64, AcceptsRedisIntegers) {
  int64_t v = 0;
  EXPECT_TRUE(ParseInt64("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
}

TEST(ParseInt64, RejectsWhatRedisRejects) {
  int64_t v = 0;
  for (const char* s : {"", "-", "-0", "+1", " 1", "1 ", "01", "9223372036854775808",
                        "-9223372036854775809", "1.0", "abc", "123456789012345678901"}) {
    EXPECT_FALSE(ParseInt64(s, &v)) << s;
  }
}

TEST(LongDouble, FormatsLikeRedis) {
  EXPECT_EQ(LongDoubleToString(10.5L), "10.5");
  EXPECT_EQ(LongDoubleToString(3.0L), "3");
  EXPECT_EQ(LongDoubleToString(-0.0L), "0");
  long double v;
  EXPECT_FALSE(ParseLongDouble(" 1", &v));
  EXPECT_FALSE(ParseLongDouble("nan", &v));
  EXPECT_FALSE(ParseLongDouble("1e5000", &v));
  EXPECT_TRUE(ParseLongDouble("inf", &v));
}

TEST(Glob, RedisRules) {
  EXPECT_FALSE(GlobMatch("*", ""));  // as Redis: callers special-case "*"
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo"));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hallo"));
  EXPECT_TRUE(GlobMatch("HELLO", "hello", true));
  std::string s(60, 'a');
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", s));
}

TEST(KeySlot, MatchesRedisCluster) {
  EXPECT_EQ(KeySlot("foo"), 12182u);
  EXPECT_EQ(KeySlot("bar"), 5061u);
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot("foo{}{bar}"));
  EXPECT_EQ(KeySlot("{}foo"), Crc16("{}foo", 5) & 16383);
}

}  // namespace kora
