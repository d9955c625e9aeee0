#include "liveorigin/http/byte_range.hpp"

#include <gtest/gtest.h>

namespace liveorigin::http {
namespace {

TEST(ByteRangeTest, SingleRangesAreHonoured) {
  auto r = parse_range("bytes=100-199", 1000);
  ASSERT_EQ(r.kind, RangeRequest::partial);
  EXPECT_EQ(r.range.first, 100u);
  EXPECT_EQ(r.range.last, 199u);
  EXPECT_EQ(r.range.length(), 100u);
  r = parse_range("bytes=990-", 1000);
  EXPECT_EQ(r.range.first, 990u);
  EXPECT_EQ(r.range.last, 999u);
  r = parse_range("bytes=-300", 1000);
  EXPECT_EQ(r.range.first, 700u);
  EXPECT_EQ(r.range.last, 999u);
  r = parse_range("bytes=-3000", 1000);  // more than the file: all of it
  EXPECT_EQ(r.range.first, 0u);
  r = parse_range("bytes=500-5000", 1000);  // clipped to the end
  EXPECT_EQ(r.range.last, 999u);
}

TEST(ByteRangeTest, PastTheEndIsUnsatisfiable) {
  EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, RangeRequest::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 1000).kind, RangeRequest::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, RangeRequest::unsatisfiable);
}

TEST(ByteRangeTest, AnythingElseMeansTheWholeFile) {
  for (const char* h : {"", "bytes=", "items=0-1", "bytes=5-1", "bytes=0-1,5-6", "bytes=a-b", "bytes=1",
                        "bytes=--1", "bytes=18446744073709551616-"}) {
    EXPECT_EQ(parse_range(h, 1000).kind, RangeRequest::whole) << h;
  }
}

}  // namespace
}  // namespace liveorigin::http
