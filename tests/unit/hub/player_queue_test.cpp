#include "liveorigin/hub/player_queue.hpp"

#include <gtest/gtest.h>

#include "packets.hpp"

namespace liveorigin::hub {
namespace {

std::vector<media::PacketPtr> drain(PlayerQueue& q) {
  std::vector<media::PacketPtr> out;
  while (!q.empty()) q.take(out, 1000, 1u << 30);
  return out;
}

TEST(PlayerQueue, VideoStartsOnAKeyframeAudioPasses) {
  PlayerQueue q({4000, 1u << 20});
  q.push(testing::video_header());
  q.push(testing::video(0, false));
  q.push(testing::audio(10));
  q.push(testing::video(40, true));
  auto out = drain(q);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0]->sequence_header);
  EXPECT_TRUE(out[1]->is_audio());
  EXPECT_TRUE(out[2]->keyframe);
  EXPECT_EQ(q.dropped_packets(), 1u);
}

TEST(PlayerQueue, SlowPlayerSkipsToNextKeyframeKeepingHeaders) {
  PlayerQueue q({1000, 1u << 20});
  q.push(testing::video_header());
  for (std::uint32_t ts = 0; ts <= 1000; ts += 40) q.push(testing::video(ts, ts == 0));
  EXPECT_LE(q.size(), 27u);
  q.push(testing::video(1040, false));  // span now exceeds 1 s: skip
  EXPECT_EQ(q.skips(), 1u);
  EXPECT_EQ(q.size(), 1u);  // only the sequence header remains
  q.push(testing::video(1080, false));  // still waiting for a key frame
  q.push(testing::video(1120, true));
  auto out = drain(q);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0]->sequence_header);
  EXPECT_EQ(out[1]->timestamp, 1120u);
}

TEST(PlayerQueue, ByteBoundHoldsEvenWithBrokenTimestamps) {
  PlayerQueue q({4000, 10000});
  q.push(testing::video(0, true, 4000));
  q.push(testing::video(0, false, 4000));
  EXPECT_EQ(q.skips(), 0u);
  q.push(testing::video(0, false, 4000));
  EXPECT_EQ(q.skips(), 1u);
  EXPECT_LE(q.bytes(), 10000u);
}

TEST(PlayerQueue, TakeRespectsBatchLimits) {
  PlayerQueue q({4000, 1u << 20});
  for (std::uint32_t ts = 0; ts < 10; ++ts) q.push(testing::video(ts, ts == 0, 100));
  std::vector<media::PacketPtr> out;
  q.take(out, 4, 1u << 20);
  EXPECT_EQ(out.size(), 4u);
  out.clear();
  q.take(out, 100, 250);  // 115-byte tags: two fit
  EXPECT_EQ(out.size(), 2u);
  out.clear();
  q.take(out, 100, 1);  // always at least one
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace liveorigin::hub
