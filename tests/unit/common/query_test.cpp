#include "liveorigin/common/query.hpp"

#include <gtest/gtest.h>

namespace liveorigin::common {
namespace {

TEST(Query, ParsesAndDecodes) {
  const Query q = parse_query("txSecret=ab%2Fcd&txTime=65A0&flag&=x&&a=1&a=2&sp=a+b%20c&bad=%zz%4");
  EXPECT_EQ(q.at("txSecret"), "ab/cd");
  EXPECT_EQ(q.at("txTime"), "65A0");
  EXPECT_EQ(q.at("flag"), "");
  EXPECT_EQ(q.at("a"), "2");
  EXPECT_EQ(q.at("sp"), "a+b c");
  EXPECT_EQ(q.at("bad"), "%zz%4");
  EXPECT_EQ(q.count(""), 0u);
}

TEST(Query, SplitsNames) {
  auto [name, query] = split_query("stream?k=v?x");
  EXPECT_EQ(name, "stream");
  EXPECT_EQ(query, "k=v?x");
  auto [plain, none] = split_query("stream");
  EXPECT_EQ(plain, "stream");
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(parse_query("?a=b").at("a"), "b");
}

}  // namespace
}  // namespace liveorigin::common
