// A publisher whose timestamps never advance must not grow one HLS segment without bound (found
// while fuzzing the segmenter): segments are cut at 64 MiB whatever the timestamps say.
#include <gtest/gtest.h>

#include "liveorigin/hls/segmenter.hpp"
#include "ts_reader.hpp"

namespace liveorigin::hls {
namespace {

using namespace testing;

TEST(SegmenterLimits, FrozenTimestampsStillCutSegments) {
  std::vector<Segment> segments;
  Segmenter s(2, "test", [&](Segment seg) { segments.push_back(std::move(seg)); });
  s.push(*avc_header());
  for (int i = 0; i < 100; ++i) s.push(*avc_frame(0, true, 0, 1 << 20));  // 100 MiB at t = 0
  ASSERT_GE(segments.size(), 1u);
  for (const auto& seg : segments) EXPECT_LT(seg.data->size(), 70u << 20);
}

}  // namespace
}  // namespace liveorigin::hls
