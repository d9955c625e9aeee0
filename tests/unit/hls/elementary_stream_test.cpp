// FLV video tags cut short must be skipped, never read past their end: a publisher controls them.
#include "liveorigin/hls/elementary_stream.hpp"

#include <gtest/gtest.h>

#include <string>

namespace liveorigin::hls {
namespace {

// Enhanced RTMP video body: [1][frame type:3][packet type:4], FourCC, then the rest.
Bytes enhanced(int frame_type, int packet_type, const std::string& fourcc, Bytes rest) {
  Bytes b{static_cast<std::uint8_t>(0x80 | frame_type << 4 | packet_type)};
  b.insert(b.end(), fourcc.begin(), fourcc.end());
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

// A minimal HEVCDecoderConfigurationRecord: 22 bytes of header (4-byte NAL lengths), one array
// holding one 2-byte VPS.
Bytes tiny_hvcc() {
  Bytes r(22, 0);
  r[0] = 1;
  r[21] = 0x03;
  const Bytes array{1, 0x20, 0, 1, 0, 2, 0x40, 0x01};
  r.insert(r.end(), array.begin(), array.end());
  return r;
}

media::PacketPtr video(std::uint32_t ts, const Bytes& body) {
  return media::make_packet(media::MediaType::video, ts, body);
}

TEST(ElementaryStreams, EnhancedHevcFrame) {
  ElementaryStreams es("test");
  EXPECT_FALSE(es.convert(*video(0, enhanced(1, 0, "hvc1", tiny_hvcc()))));
  EXPECT_EQ(es.video_codec(), media::Codec::hevc);
  const auto au = es.convert(*video(40, enhanced(1, 1, "hvc1", {0, 0, 0, 0, 0, 0, 2, 0x26, 0x01})));
  ASSERT_TRUE(au);
  EXPECT_TRUE(au->keyframe);
  EXPECT_GT(au->data.size(), 4u);
}

TEST(ElementaryStreams, TruncatedCodedFramesAreSkipped) {
  // CodedFrames of 'hvc1' and 'avc1' carry a 3-byte composition time after the FourCC: tags of
  // 5, 6 and 7 bytes end inside it.
  for (const char* fourcc : {"hvc1", "avc1"}) {
    ElementaryStreams es("test");
    const Bytes config = std::string(fourcc) == "hvc1"
                             ? tiny_hvcc()
                             : Bytes{1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0x00, 0x1f, 1, 0, 2, 0x68, 0xee};
    es.convert(*video(0, enhanced(1, 0, fourcc, config)));
    for (const Bytes& rest : {Bytes{}, Bytes{0}, Bytes{0, 0}}) {
      EXPECT_FALSE(es.convert(*video(40, enhanced(1, 1, fourcc, rest)))) << fourcc << " " << rest.size();
    }
    // A composition time and nothing more is an empty frame, not an error.
    EXPECT_NO_THROW(es.convert(*video(80, enhanced(1, 1, fourcc, {0, 0, 0}))));
  }
}

TEST(ElementaryStreams, TruncatedLegacyTagsAreSkipped) {
  ElementaryStreams es("test");
  es.convert(*video(0, Bytes{0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0x00,
                             0x1f, 1, 0, 2, 0x68, 0xee}));
  for (const Bytes& body : {Bytes{0x17}, Bytes{0x17, 1}, Bytes{0x17, 1, 0, 0}}) {
    EXPECT_FALSE(es.convert(*video(40, body))) << body.size();
  }
}

}  // namespace
}  // namespace liveorigin::hls
