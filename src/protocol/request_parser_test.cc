#include "protocol/request_parser.h"

#include <gtest/gtest.h>

namespace kora {
namespace {

using State = RequestParser::State;

TEST(RequestParser, ParsesMultibulkInPieces) {
  RequestParser p;
  ParserLimits lim;
  std::string full = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
  std::vector<std::string_view> args;
  size_t consumed = 0;
  for (size_t i = 1; i < full.size(); ++i) {
    ASSERT_EQ(p.Parse(std::string_view(full).substr(0, i), lim, &consumed, &args), State::kNeedMore)
        << i;
  }
  ASSERT_EQ(p.Parse(full, lim, &consumed, &args), State::kCommand);
  EXPECT_EQ(consumed, full.size());
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[2], "value");
}

TEST(RequestParser, NeverAllocatesClaimedLength) {
  RequestParser p;
  ParserLimits lim;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  EXPECT_EQ(p.Parse("*1\r\n$536870912\r\nab", lim, &consumed, &args), State::kNeedMore);
  p.Reset();
  EXPECT_EQ(p.Parse("*1\r\n$536870913\r\n", lim, &consumed, &args), State::kError);
  EXPECT_EQ(p.error(), "Protocol error: invalid bulk length");
}

TEST(RequestParser, InlineWithQuotes) {
  RequestParser p;
  ParserLimits lim;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  ASSERT_EQ(p.Parse("set k \"a b\\x41\"\r\n", lim, &consumed, &args), State::kCommand);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[2], "a bA");
  EXPECT_EQ(p.Parse("set k \"abc\r\n", lim, &consumed, &args), State::kError);
  EXPECT_EQ(p.error(), "Protocol error: unbalanced quotes in request");
}

TEST(RequestParser, BadMultibulkHeaders) {
  RequestParser p;
  ParserLimits lim;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  EXPECT_EQ(p.Parse("*abc\r\n", lim, &consumed, &args), State::kError);
  EXPECT_EQ(p.error(), "Protocol error: invalid multibulk length");
  EXPECT_EQ(p.Parse("*1\r\nx3\r\n", lim, &consumed, &args), State::kError);
  EXPECT_EQ(p.error(), "Protocol error: expected '$', got 'x'");
  EXPECT_EQ(p.Parse("*0\r\n", lim, &consumed, &args), State::kEmpty);
  EXPECT_EQ(consumed, 4u);
}

}  // namespace
}  // namespace kora
