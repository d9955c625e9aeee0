#include "liveorigin/record/file_splitter.hpp"

#include <gtest/gtest.h>

#include "record_packets.hpp"

namespace liveorigin::record {
namespace {

using namespace testing;
using Action = FileSplitter::Action;

TEST(FileSplitterTest, StartsOnTheFirstKeyFrameAndSplitsOnKeyFramesPastTheInterval) {
  FileSplitter s(2000);
  EXPECT_EQ(s.on_packet(*metadata()), Action::keep);
  EXPECT_EQ(s.on_packet(*video_header()), Action::keep);
  EXPECT_EQ(s.on_packet(*audio_header()), Action::keep);
  EXPECT_EQ(s.on_packet(*audio(990)), Action::skip);       // before the first key frame
  EXPECT_EQ(s.on_packet(*video(960, false)), Action::skip);
  EXPECT_EQ(s.on_packet(*video(1000, true)), Action::start_file);
  EXPECT_EQ(s.file_start(), 1000u);
  EXPECT_EQ(s.on_packet(*audio(995)), Action::append);
  EXPECT_EQ(s.file_time(995), 0u);                          // just before the file: stamped 0
  EXPECT_EQ(s.on_packet(*video(2000, true)), Action::append);  // 1 s in: not yet
  EXPECT_EQ(s.on_packet(*video(3000, false)), Action::append); // due, but not a key frame
  EXPECT_EQ(s.on_packet(*audio(3010)), Action::append);
  EXPECT_EQ(s.on_packet(*video(3040, true)), Action::split);
  EXPECT_EQ(s.file_start(), 3040u);
  EXPECT_EQ(s.file_time(3080), 40u);
  EXPECT_EQ(s.on_packet(*video_header()), Action::keep);
}

TEST(FileSplitterTest, KeyFramesStampedAMillisecondEarlyStillSplit) {
  // OBS 29 stamps a 2 s GOP's key frames at 0, 1999, 3999 ms.
  FileSplitter s(2000);
  EXPECT_EQ(s.on_packet(*video(0, true)), Action::start_file);
  EXPECT_EQ(s.on_packet(*video(1960, false)), Action::append);
  EXPECT_EQ(s.on_packet(*video(1999, true)), Action::split);
  EXPECT_EQ(s.on_packet(*video(3999, true)), Action::split);
  EXPECT_EQ(s.on_packet(*video(5982, true)), Action::append);  // a whole 60 fps frame early
}

TEST(FileSplitterTest, NeverSplitsWithoutAnInterval) {
  FileSplitter s(0);
  EXPECT_EQ(s.on_packet(*video(0, true)), Action::start_file);
  for (std::uint32_t t = 1000; t < 100000; t += 1000) EXPECT_EQ(s.on_packet(*video(t, true)), Action::append);
}

TEST(FileSplitterTest, AudioOnlyStreamsSplitOnAnyFrame) {
  FileSplitter s(1000);
  EXPECT_EQ(s.on_packet(*audio_header()), Action::keep);
  EXPECT_EQ(s.on_packet(*audio(0)), Action::start_file);
  EXPECT_EQ(s.on_packet(*audio(977)), Action::append);
  EXPECT_EQ(s.on_packet(*audio(1001)), Action::split);
}

TEST(FileSplitterTest, SplitsAcrossTheTimestampWrapAndOnRequest) {
  FileSplitter s(1000);
  EXPECT_EQ(s.on_packet(*video(0xffffff00u, true)), Action::start_file);
  EXPECT_EQ(s.on_packet(*video(0x100u, true)), Action::append);   // 512 ms later
  EXPECT_EQ(s.file_time(0x100u), 512u);
  EXPECT_EQ(s.on_packet(*video(0x400u, true)), Action::split);    // 1280 ms later
  s.request_split();
  EXPECT_EQ(s.on_packet(*video(0x410u, false)), Action::append);
  EXPECT_EQ(s.on_packet(*video(0x420u, true)), Action::split);
}

TEST(FileSplitterTest, RestampsTheTagHeaderOnly) {
  auto p = video(0x12345678, true, 20);
  std::uint8_t header[11];
  restamp_tag_header(*p, 0x01020304, header);
  EXPECT_EQ(header[0], 9);
  EXPECT_EQ(header[4], 0x02);
  EXPECT_EQ(header[5], 0x03);
  EXPECT_EQ(header[6], 0x04);
  EXPECT_EQ(header[7], 0x01);
  EXPECT_TRUE(std::equal(header + 1, header + 4, p->flv_tag.begin() + 1));   // data size
  EXPECT_TRUE(std::equal(header + 8, header + 11, p->flv_tag.begin() + 8));  // stream id
}

TEST(FileSplitterTest, CodecPayloadSkipsTheFlvHeaders) {
  EXPECT_EQ(codec_payload(*video_header()).size(), 4u);
  EXPECT_EQ(codec_payload(*audio_header()).size(), 2u);
  EXPECT_EQ(codec_payload(*audio(0, 40)).size(), 38u);
  Bytes enhanced{0x91, 'h', 'v', 'c', '1', 0, 0, 0, 0xaa};  // CodedFrames: 3 bytes of CTS
  EXPECT_EQ(codec_payload(*media::make_packet(media::MediaType::video, 0, enhanced)).size(), 1u);
  // AV1 and VP9 CodedFrames have no composition time: the payload follows the FourCC.
  Bytes av1{0x91, 'a', 'v', '0', '1', 0x12, 0x00, 0x0a, 0x0b};
  EXPECT_EQ(codec_payload(*media::make_packet(media::MediaType::video, 0, av1)).size(), 4u);
  // A tag cut inside its header has no payload.
  Bytes cut{0x91, 'h', 'v', 'c', '1', 0};
  EXPECT_EQ(codec_payload(*media::make_packet(media::MediaType::video, 0, cut)).size(), 0u);
  Bytes mp3{0x2f, 0xff, 0xfb};
  EXPECT_EQ(codec_payload(*media::make_packet(media::MediaType::audio, 0, mp3)).size(), 2u);
}

}  // namespace
}  // namespace liveorigin::record
