// The GOP cache keeps every track's SequenceStart: a late player of a multitrack stream decodes
// track 1 as well as the default track.
#include "liveorigin/hub/gop_cache.hpp"

#include <gtest/gtest.h>

#include "packets.hpp"

namespace liveorigin::hub {
namespace {

// An enhanced Multitrack OneTrack tag: [0x96 | frame type][OneTrack | packet type] FourCC, track id.
media::PacketPtr one_track(std::uint8_t track, std::uint8_t packet_type, bool key, std::uint32_t ts) {
  Bytes body{static_cast<std::uint8_t>(key ? 0x96 : 0xa6), packet_type, 'a', 'v', '0', '1', track, 0xaa};
  return media::make_packet(media::MediaType::video, ts, body);
}

TEST(GopCacheTest, KeepsTheLatestSequenceStartOfEveryTrack) {
  GopCache cache;
  cache.add(one_track(0, 0, true, 0));
  const auto track1 = one_track(1, 0, true, 0);
  cache.add(track1);
  cache.add(testing::audio_header());
  cache.add(one_track(0, 1, true, 0));
  cache.add(one_track(1, 1, true, 0));  // track 1's key frame does not restart the GOP
  cache.add(one_track(0, 1, false, 40));
  const auto track1_again = one_track(1, 0, true, 80);
  cache.add(track1_again);  // replaces the first one, in place

  const auto snap = cache.snapshot();
  ASSERT_EQ(snap.size(), 6u);
  EXPECT_EQ(snap[0]->track_id, 0);
  EXPECT_EQ(snap[1], track1_again);
  EXPECT_TRUE(snap[2]->is_audio());
  EXPECT_EQ(snap[3]->track_id, 0);
  EXPECT_TRUE(snap[3]->keyframe);
  EXPECT_EQ(cache.gop_packets(), 3u);
  EXPECT_EQ(cache.video_header()->track_id, 0);
  EXPECT_TRUE(cache.audio_header());
}

TEST(GopCacheTest, AnotherTracksKeyFrameDoesNotCutTheGop) {
  GopCache cache;
  cache.add(one_track(0, 1, true, 0));
  cache.add(one_track(0, 1, false, 40));
  cache.add(one_track(1, 1, true, 40));
  EXPECT_EQ(cache.gop_packets(), 3u);
}

}  // namespace
}  // namespace liveorigin::hub
