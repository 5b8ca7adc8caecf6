// The RESP decoder behind Reply and the typed methods, and Reply's rendering.
#include <gtest/gtest.h>

#include <cmath>

#include "embed/resp_reader.h"
#include "kora/reply.h"

namespace kora::embed {
namespace {

Reply Decode(std::string_view in) {
  Reply r = Reply::String("sentinel");
  EXPECT_EQ(DecodeReply(in, &r), in.size()) << in;
  return r;
}

TEST(RespReader, Scalars) {
  EXPECT_EQ(Decode("+OK\r\n"), Reply::Status("OK"));
  EXPECT_EQ(Decode("-ERR x\r\n"), Reply::Error("ERR x"));
  EXPECT_EQ(Decode(":-42\r\n"), Reply::Integer(-42));
  EXPECT_EQ(Decode(":9223372036854775807\r\n"), Reply::Integer(INT64_MAX));
  EXPECT_EQ(Decode(":-9223372036854775808\r\n"), Reply::Integer(INT64_MIN));
  EXPECT_EQ(Decode("$5\r\nhe\r\no\r\n"), Reply::String("he\r\no"));
  EXPECT_EQ(Decode("$0\r\n\r\n"), Reply::String(""));
  EXPECT_EQ(Decode("$-1\r\n"), Reply::Nil());
  EXPECT_EQ(Decode("_\r\n"), Reply::Nil());
  EXPECT_EQ(Decode("*-1\r\n"), Reply::Nil());
  EXPECT_EQ(Decode("#t\r\n"), Reply::Bool(true));
  EXPECT_EQ(Decode("#f\r\n"), Reply::Bool(false));
  Reply d = Decode(",1.5\r\n");
  EXPECT_EQ(d.kind(), Reply::Kind::kDouble);
  EXPECT_EQ(d.dbl(), 1.5);
  EXPECT_EQ(d.str(), "1.5");
  EXPECT_TRUE(std::isinf(Decode(",-inf\r\n").dbl()));
  EXPECT_EQ(Decode("(12345678901234567890\r\n"), Reply::BigNum("12345678901234567890"));
  Reply v = Decode("=7\r\ntxt:abc\r\n");
  EXPECT_EQ(v.kind(), Reply::Kind::kVerbatim);
  EXPECT_EQ(v.str(), "abc");
  EXPECT_EQ(v.format(), "txt");
  EXPECT_EQ(Decode("!3\r\nERR\r\n"), Reply::Error("ERR"));
}

TEST(RespReader, Aggregates) {
  Reply a = Decode("*3\r\n$1\r\na\r\n:1\r\n*1\r\n_\r\n");
  EXPECT_EQ(a, Reply::Array({Reply::String("a"), Reply::Integer(1), Reply::Array({Reply::Nil()})}));
  EXPECT_EQ(Decode("*0\r\n"), Reply::Array({}));
  Reply s = Decode("~2\r\n+a\r\n+b\r\n");
  EXPECT_EQ(s.kind(), Reply::Kind::kSet);
  EXPECT_EQ(s.size(), 2u);
  Reply p = Decode(">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n");
  EXPECT_EQ(p.kind(), Reply::Kind::kPush);
  Reply m = Decode("%2\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n*0\r\n");
  ASSERT_TRUE(m.is_map());
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.entries()[0].first, Reply::String("k"));
  EXPECT_EQ(m.entries()[1].second, Reply::Array({}));
  // An attribute is dropped, the reply after it kept.
  EXPECT_EQ(Decode("|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n"), Reply::String("v"));
}

TEST(RespReader, RejectsMalformedInput) {
  Reply r;
  for (std::string_view bad : {"", "+OK", "$5\r\nabc\r\n", "$3\r\nabcde", "*2\r\n:1\r\n",
                               ":12a\r\n", ":99999999999999999999\r\n", "?\r\n", "#x\r\n",
                               "*1000000000\r\n", "$-5\r\n", "=3\r\nabc\r\n", ",\r\n",
                               ",1.5x\r\n", "_x\r\n"}) {
    EXPECT_EQ(DecodeReply(bad, &r), 0u) << bad;
  }
  // Deep nesting is bounded.
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  EXPECT_EQ(DecodeReply(deep, &r), 0u);
}

TEST(RespReader, FastPaths) {
  EXPECT_TRUE(DecodeOk("+OK\r\n").ok());
  EXPECT_EQ(DecodeInteger(":7\r\n").value(), 7);
  EXPECT_EQ(DecodeInteger("#t\r\n").value(), 1);
  EXPECT_EQ(DecodeBulk("$2\r\nhi\r\n").value(), std::optional<std::string>("hi"));
  EXPECT_FALSE(DecodeBulk("_\r\n").value().has_value());
  EXPECT_FALSE(DecodeBulk("$-1\r\n").value().has_value());
  Status wt = DecodeOk("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(wt.code(), StatusCode::kWrongType);
  Status err = DecodeInteger("-ERR value is not an integer or out of range\r\n").status();
  EXPECT_EQ(err.code(), StatusCode::kCommandError);
  EXPECT_EQ(err.message(), "ERR value is not an integer or out of range");
  Status odd = DecodeInteger("+OK\r\n").status();
  EXPECT_EQ(odd.code(), StatusCode::kInternal);
  EXPECT_EQ(DecodeBulk(":1\r\n").status().code(), StatusCode::kInternal);
}

TEST(RespReader, StringArrays) {
  std::vector<std::string> strs;
  EXPECT_TRUE(DecodeStringArray("*2\r\n$1\r\na\r\n$0\r\n\r\n", &strs));
  EXPECT_EQ(strs, (std::vector<std::string>{"a", ""}));
  EXPECT_TRUE(DecodeStringArray("~1\r\n$2\r\nxy\r\n", &strs));
  EXPECT_EQ(strs, std::vector<std::string>{"xy"});
  EXPECT_TRUE(DecodeStringArray("*-1\r\n", &strs));
  EXPECT_TRUE(strs.empty());
  EXPECT_TRUE(DecodeStringArray("_\r\n", &strs));
  EXPECT_FALSE(DecodeStringArray("*1\r\n_\r\n", &strs));  // nil needs optionals
  EXPECT_FALSE(DecodeStringArray("*1\r\n:1\r\n", &strs));
  EXPECT_FALSE(DecodeStringArray("*2\r\n$1\r\na\r\n", &strs));
  EXPECT_FALSE(DecodeStringArray("-ERR x\r\n", &strs));
  std::vector<std::optional<std::string>> opt;
  EXPECT_TRUE(DecodeStringArray("*3\r\n$1\r\na\r\n_\r\n$-1\r\n", &opt));
  EXPECT_EQ(opt, (std::vector<std::optional<std::string>>{"a", std::nullopt, std::nullopt}));
}

TEST(ReplyValue, RendersLikeRedisCli) {
  EXPECT_EQ(Reply::Nil().ToString(), "(nil)");
  EXPECT_EQ(Reply::Integer(3).ToString(), "(integer) 3");
  EXPECT_EQ(Reply::String("a\"b\n").ToString(), "\"a\\\"b\\n\"");
  EXPECT_EQ(Reply::Status("OK").ToString(), "OK");
  EXPECT_EQ(Reply::Error("ERR x").ToString(), "(error) ERR x");
  EXPECT_EQ(Reply::Array({}).ToString(), "(empty array)");
  EXPECT_EQ(Reply::Array({Reply::String("a"), Reply::Array({Reply::Integer(1), Reply::Nil()})})
                .ToString(),
            "1) \"a\"\n2) 1) (integer) 1\n   2) (nil)");
  EXPECT_EQ(Reply::Map({{Reply::String("k"), Reply::Double(1.5)}}).ToString(),
            "1# \"k\" => (double) 1.5");
  EXPECT_EQ(Reply::Bool(true).ToString(), "(true)");
  EXPECT_EQ(KindName(Reply::Kind::kVerbatim), "verbatim");
}

TEST(ReplyValue, CopiesAndMoves) {
  Reply a = Reply::Array({Reply::String(std::string(100, 'x')), Reply::Integer(1)});
  Reply b = a;
  EXPECT_EQ(a, b);
  Reply c = std::move(b);
  EXPECT_EQ(a, c);
  EXPECT_NE(a, Reply::Array({}));
  EXPECT_TRUE(a.is_array());
  EXPECT_FALSE(a.is_string());
  EXPECT_EQ(a[0].str().size(), 100u);
}

}  // namespace
}  // namespace kora::embed
