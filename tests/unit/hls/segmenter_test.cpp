#include "liveorigin/hls/segmenter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include "ts_reader.hpp"

namespace liveorigin::hls {
namespace {

using namespace testing;

struct Collect {
  std::vector<Segment> segments;
  std::chrono::steady_clock::time_point now{std::chrono::seconds(100)};
  Segmenter make(double fragment, Format format = Format::automatic) {
    return Segmenter(fragment, "test", [this](Segment s) { segments.push_back(std::move(s)); },
                     [this] { return now; }, format);
  }
};

// 25 fps video with a key frame every `gop_ms`, AAC every ~23 ms, for `ms` milliseconds.
void feed_av(Segmenter& s, std::uint32_t ms, std::uint32_t gop_ms, bool audio = true) {
  s.push(*avc_header());
  if (audio) s.push(*aac_header());
  std::uint32_t next_audio = 0;
  for (std::uint32_t t = 0; t < ms; t += 40) {
    while (audio && next_audio <= t) {
      s.push(*aac_frame(next_audio));
      next_audio += 23;
    }
    s.push(*avc_frame(t, t % gop_ms == 0, 80));
  }
}

bool contains(const Bytes& hay, const Bytes& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST(Segmenter, CutsOnKeyFramesOnceTheFragmentHasPassed) {
  Collect c;
  auto s = c.make(2);
  feed_av(s, 10000, 2000);
  ASSERT_EQ(c.segments.size(), 4u);  // the 5th (8 s..10 s) is still open
  for (const auto& seg : c.segments) EXPECT_DOUBLE_EQ(seg.duration, 2.0);
  EXPECT_EQ(c.segments[1].start_ms, 2000u);
  s.finish();
  ASSERT_EQ(c.segments.size(), 5u);
  EXPECT_DOUBLE_EQ(c.segments[4].duration, 2.0);  // last frame + one frame step
  EXPECT_EQ(c.segments[4].closed_at, c.now);
}

// With B-frames the reordering delay of key frames varies: x265 with 3 B-frames and a 2 s GOP
// decodes them at 0, 1960, 3960 ms and presents them at 80, 2080, 4080 ms. Segments follow the
// presentation times (decode times would make the first one 3.96 s).
TEST(Segmenter, SegmentsFollowTheKeyFramesPresentationTime) {
  Collect c;
  auto s = c.make(2);
  s.push(*avc_header());
  for (std::uint32_t t = 0; t < 8000; t += 40) {
    const bool key = t == 0 || (t + 40) % 2000 == 0;
    s.push(*avc_frame(t, key, key && t > 0 ? 120 : 80));
  }
  ASSERT_EQ(c.segments.size(), 4u);
  for (const auto& seg : c.segments) EXPECT_NEAR(seg.duration, 2.0, 1e-9);
  EXPECT_EQ(c.segments[1].start_ms, 1960u);
}

TEST(Segmenter, KeyFramesStampedAMillisecondEarlyStillCut) {
  // OBS 29 stamps a 2 s GOP's key frames at 0, 1999, 3999, 5999 ms.
  Collect c;
  auto s = c.make(2);
  s.push(*avc_header());
  const std::uint32_t keys[] = {0, 1999, 3999, 5999, 7999};
  for (std::size_t k = 0; k + 1 < std::size(keys); ++k) {
    s.push(*avc_frame(keys[k], true));
    for (std::uint32_t t = keys[k] + 40; t < keys[k + 1]; t += 40) s.push(*avc_frame(t, false));
  }
  ASSERT_EQ(c.segments.size(), 3u);
  EXPECT_DOUBLE_EQ(c.segments[0].duration, 1.999);
  EXPECT_EQ(c.segments[1].start_ms, 1999u);
  EXPECT_DOUBLE_EQ(c.segments[1].duration, 2.0);
  EXPECT_EQ(c.segments[2].start_ms, 3999u);
  for (const auto& seg : c.segments) EXPECT_EQ(std::lround(seg.duration), 2);
}

TEST(Segmenter, AKeyFrameAWholeFrameEarlyWaitsForTheNext) {
  Collect c;
  auto s = c.make(2);
  s.push(*avc_header());
  s.push(*avc_frame(0, true));
  s.push(*avc_frame(1983, true));  // one 60 fps frame short of 2 s
  s.push(*avc_frame(4000, true));
  ASSERT_EQ(c.segments.size(), 1u);
  EXPECT_DOUBLE_EQ(c.segments[0].duration, 4.0);
}

TEST(Segmenter, KeyFrameIntervalLongerThanFragmentMakesLongerSegments) {
  Collect c;
  auto s = c.make(3);  // key frames every 2 s: cut at 4 s, 8 s
  feed_av(s, 10000, 2000);
  ASSERT_EQ(c.segments.size(), 2u);
  EXPECT_DOUBLE_EQ(c.segments[0].duration, 4.0);
  EXPECT_EQ(c.segments[1].start_ms, 4000u);
}

TEST(Segmenter, EachSegmentStartsWithPatPmtAndAnIdrPrecededBySpsPps) {
  Collect c;
  auto s = c.make(2);
  feed_av(s, 4100, 2000);
  ASSERT_EQ(c.segments.size(), 2u);
  for (const auto& seg : c.segments) {
    const auto ts = read_ts_segment(*seg.data);
    EXPECT_EQ(ts.psi_pids, (std::vector<std::uint16_t>{0, 0x1000}));
    EXPECT_EQ(ts.stream_types.at(0x100), 0x1b);
    EXPECT_EQ(ts.stream_types.at(0x101), 0x0f);
    const auto first_video = std::find_if(ts.pes.begin(), ts.pes.end(), [](auto& p) { return p.pid == 0x100; });
    ASSERT_NE(first_video, ts.pes.end());
    EXPECT_TRUE(first_video->random_access);
    const Bytes aud_sps_pps_idr{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f,
                                0, 0, 0, 1, 0x68, 0xee, 0, 0, 0, 1, 0x65};
    EXPECT_EQ(Bytes(first_video->payload.begin(), first_video->payload.begin() + 25), aud_sps_pps_idr);
    // PTS = (DTS + composition time) at 90 kHz.
    EXPECT_EQ(first_video->dts, seg.start_ms * 90u);
    EXPECT_EQ(first_video->pts, (seg.start_ms + 80) * 90u);
    // Audio as ADTS.
    const auto audio = std::find_if(ts.pes.begin(), ts.pes.end(), [](auto& p) { return p.pid == 0x101; });
    ASSERT_NE(audio, ts.pes.end());
    EXPECT_EQ(audio->payload[0], 0xff);
    EXPECT_EQ(audio->payload[1] & 0xf0, 0xf0);
    EXPECT_EQ(audio->payload.size(), 207u);
  }
  // Delta frames get no parameter sets.
  const auto ts = read_ts_segment(*c.segments[0].data);
  const auto delta = std::find_if(ts.pes.begin(), ts.pes.end(),
                                  [](auto& p) { return p.pid == 0x100 && !p.random_access; });
  ASSERT_NE(delta, ts.pes.end());
  EXPECT_FALSE(contains(delta->payload, Bytes{0, 0, 0, 1, 0x67}));
}

TEST(Segmenter, VideoStartsOnAKeyFrameAndEarlierPacketsAreDropped) {
  Collect c;
  auto s = c.make(1);
  s.push(*avc_header());
  s.push(*aac_header());
  s.push(*avc_frame(0, false));
  s.push(*aac_frame(10));
  s.push(*avc_frame(40, true));
  s.push(*avc_frame(1040, true));
  ASSERT_EQ(c.segments.size(), 1u);
  EXPECT_EQ(c.segments[0].start_ms, 40u);
  const auto ts = read_ts_segment(*c.segments[0].data);
  ASSERT_EQ(ts.pes.size(), 1u);
}

TEST(Segmenter, AudioOnlyIsCutByTime) {
  Collect c;
  auto s = c.make(2);
  s.push(*aac_header());
  for (std::uint32_t t = 0; t < 7000; t += 23) s.push(*aac_frame(t));
  ASSERT_EQ(c.segments.size(), 3u);
  for (const auto& seg : c.segments) {
    EXPECT_NEAR(seg.duration, 2.0, 0.03);
    const auto ts = read_ts_segment(*seg.data);
    EXPECT_EQ(ts.stream_types.count(0x100), 0u);
    EXPECT_TRUE(ts.pes.front().pcr.has_value());
  }
}

// An audio rendition cuts where it is told (the stream's own playlist cut), not by time, and
// opens nothing before the first cut.
TEST(Segmenter, ARenditionCutsOnlyWhenTold) {
  Collect c;
  auto s = c.make(2);
  s.follow_cuts();
  s.push(*aac_header());
  std::uint32_t t = 0;
  for (; t < 1000; t += 23) s.push(*aac_frame(t));
  EXPECT_EQ(s.opened(), 0u);  // no cut yet: nothing opened
  s.cut_next();
  for (; t < 6000; t += 23) s.push(*aac_frame(t));  // past the fragment: still one segment
  EXPECT_EQ(s.opened(), 1u);
  EXPECT_TRUE(c.segments.empty());
  s.cut_next();
  s.push(*aac_frame(t));
  ASSERT_EQ(c.segments.size(), 1u);
  EXPECT_EQ(c.segments[0].start_ms, 1012u);  // the first frame after the first cut
  EXPECT_NEAR(c.segments[0].duration, 5.0, 0.03);
  EXPECT_EQ(s.opened(), 2u);
}

// hls.format ts: a track MPEG-TS cannot carry is left out (auto would take fMP4 for it).
TEST(Segmenter, AudioTsCannotCarryIsSkippedNotFatal) {
  Collect c;
  auto s = c.make(1, Format::ts);
  s.push(*avc_header());
  // Enhanced RTMP Opus sequence start: [0x90][Opus]...
  Bytes opus{0x90, 'O', 'p', 'u', 's', 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0, 0, 0x80, 0xbb, 0, 0, 0, 0, 0};
  s.push(*media::make_packet(media::MediaType::audio, 0, opus));
  s.push(*avc_frame(0, true));
  s.push(*avc_frame(1000, true));
  ASSERT_EQ(c.segments.size(), 1u);
  EXPECT_EQ(c.segments[0].tracks.audio, media::Codec::none);
}

TEST(Segmenter, MalformedPayloadIsSkipped) {
  Collect c;
  auto s = c.make(1);
  s.push(*avc_header());
  Bytes bad{0x17, 1, 0, 0, 0, 0, 0, 0x10, 0x00, 0x65};  // NAL length past the end
  s.push(*media::make_packet(media::MediaType::video, 0, bad));
  s.push(*avc_frame(40, true));
  s.push(*avc_frame(1040, true));
  ASSERT_EQ(c.segments.size(), 1u);
  EXPECT_EQ(c.segments[0].start_ms, 40u);
}

}  // namespace
}  // namespace liveorigin::hls
