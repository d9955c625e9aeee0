#include "liveorigin/media/packet.hpp"

#include <gtest/gtest.h>

#include <string>

namespace liveorigin::media {
namespace {

PacketPtr video(std::uint32_t ts, Bytes body) { return make_packet(MediaType::video, ts, body); }
PacketPtr audio(std::uint32_t ts, Bytes body) { return make_packet(MediaType::audio, ts, body); }

// Enhanced RTMP video body: [1][frame type:3][packet type:4], FourCC, then the rest.
Bytes enhanced(int frame_type, int packet_type, const std::string& fourcc, Bytes rest) {
  Bytes b{static_cast<std::uint8_t>(0x80 | frame_type << 4 | packet_type)};
  b.insert(b.end(), fourcc.begin(), fourcc.end());
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

TEST(PacketTest, LegacyAvcSequenceHeader) {
  auto p = video(0, {0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1f});
  EXPECT_EQ(p->type, MediaType::video);
  EXPECT_EQ(p->codec, Codec::h264);
  EXPECT_TRUE(p->keyframe);
  EXPECT_TRUE(p->sequence_header);
  EXPECT_EQ(p->composition_time, 0);
  EXPECT_TRUE(p->is_video());
  EXPECT_FALSE(p->is_audio());
}

TEST(PacketTest, LegacyAvcKeyframeWithCompositionTime) {
  auto p = video(1000, {0x17, 0x01, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x02, 0x65, 0x88});
  EXPECT_EQ(p->codec, Codec::h264);
  EXPECT_TRUE(p->keyframe);
  EXPECT_FALSE(p->sequence_header);
  EXPECT_EQ(p->composition_time, 80);
  EXPECT_EQ(p->pts(), 1080u);
}

TEST(PacketTest, LegacyAvcInterFrameNegativeCompositionTime) {
  auto p = video(500, {0x27, 0x01, 0xff, 0xff, 0xdf, 0x00, 0x00, 0x00, 0x01, 0x41});
  EXPECT_EQ(p->codec, Codec::h264);
  EXPECT_FALSE(p->keyframe);
  EXPECT_FALSE(p->sequence_header);
  EXPECT_EQ(p->composition_time, -33);
  EXPECT_EQ(p->pts(), 467u);
}

TEST(PacketTest, LegacyHevcCodecId12) {
  auto seq = video(0, {0x1c, 0x00, 0x00, 0x00, 0x00, 0x01});
  EXPECT_EQ(seq->codec, Codec::hevc);
  EXPECT_TRUE(seq->keyframe);
  EXPECT_TRUE(seq->sequence_header);
  auto frame = video(40, {0x2c, 0x01, 0x00, 0x00, 0x28, 0x00});
  EXPECT_EQ(frame->codec, Codec::hevc);
  EXPECT_FALSE(frame->keyframe);
  EXPECT_FALSE(frame->sequence_header);
  EXPECT_EQ(frame->composition_time, 40);
}

TEST(PacketTest, LegacyOtherVideoCodec) {
  auto p = video(0, {0x12, 0x00, 0x00});  // Sorenson H.263 key frame
  EXPECT_EQ(p->codec, Codec::other);
  EXPECT_TRUE(p->keyframe);
  EXPECT_FALSE(p->sequence_header);
}

TEST(PacketTest, EnhancedHevcSequenceStart) {
  auto p = video(0, enhanced(1, 0, "hvc1", {0x01, 0x01, 0x60}));
  EXPECT_EQ(p->codec, Codec::hevc);
  EXPECT_TRUE(p->keyframe);
  EXPECT_TRUE(p->sequence_header);
  EXPECT_EQ(p->composition_time, 0);
}

TEST(PacketTest, EnhancedHevcCodedFramesCompositionTime) {
  auto key = video(100, enhanced(1, 1, "hvc1", {0x00, 0x00, 0x42, 0x00, 0x00, 0x00, 0x01, 0x26}));
  EXPECT_EQ(key->codec, Codec::hevc);
  EXPECT_TRUE(key->keyframe);
  EXPECT_FALSE(key->sequence_header);
  EXPECT_EQ(key->composition_time, 66);
  auto inter = video(133, enhanced(2, 1, "hvc1", {0xff, 0xff, 0xef, 0x00}));
  EXPECT_FALSE(inter->keyframe);
  EXPECT_EQ(inter->composition_time, -17);
  EXPECT_EQ(inter->pts(), 116u);
}

TEST(PacketTest, EnhancedCodedFramesXHasNoCompositionTime) {
  // PacketTypeCodedFramesX (3): composition time is implied zero.
  auto p = video(10, enhanced(2, 3, "hvc1", {0x12, 0x34, 0x56, 0x00}));
  EXPECT_EQ(p->codec, Codec::hevc);
  EXPECT_EQ(p->composition_time, 0);
  EXPECT_FALSE(p->sequence_header);
}

TEST(PacketTest, EnhancedCompositionTimeOnlyWhereTheCodecHasOne) {
  // AV1 and VP9 CodedFrames start their payload right after the FourCC: no composition time.
  EXPECT_EQ(video(0, enhanced(1, 1, "av01", {0x12, 0x00, 0x0a, 0x0b}))->composition_time, 0);
  EXPECT_EQ(video(0, enhanced(1, 1, "vp09", {0x00, 0x00, 0x42, 0x00}))->composition_time, 0);
  EXPECT_EQ(video(0, enhanced(1, 1, "avc1", {0x00, 0x00, 0x42, 0x00}))->composition_time, 66);
}

TEST(PacketTest, TruncatedEnhancedTagsAreClassifiedWithoutReadingPastTheEnd) {
  for (std::size_t cut = 1; cut <= 7; ++cut) {
    Bytes body = enhanced(1, 1, "hvc1", {0x00, 0x00, 0x42});
    body.resize(cut);
    const auto p = video(0, body);
    EXPECT_EQ(p->composition_time, 0) << cut;
    EXPECT_EQ(p->body().size(), cut);
  }
}

TEST(PacketTest, EnhancedOtherFourCcs) {
  EXPECT_EQ(video(0, enhanced(1, 0, "av01", {}))->codec, Codec::av1);
  EXPECT_EQ(video(0, enhanced(1, 0, "vp09", {}))->codec, Codec::vp9);
  EXPECT_EQ(video(0, enhanced(1, 0, "avc1", {}))->codec, Codec::h264);
  EXPECT_EQ(video(0, enhanced(1, 0, "xyz1", {}))->codec, Codec::other);
}

TEST(PacketTest, AacSequenceHeaderVersusRaw) {
  auto header = audio(0, {0xaf, 0x00, 0x12, 0x10});
  EXPECT_EQ(header->type, MediaType::audio);
  EXPECT_EQ(header->codec, Codec::aac);
  EXPECT_TRUE(header->sequence_header);
  EXPECT_FALSE(header->keyframe);
  EXPECT_TRUE(header->is_audio());
  auto raw = audio(23, {0xaf, 0x01, 0x21, 0x10, 0x04});
  EXPECT_EQ(raw->codec, Codec::aac);
  EXPECT_FALSE(raw->sequence_header);
  EXPECT_EQ(raw->composition_time, 0);
}

TEST(PacketTest, Mp3AndOtherAudio) {
  EXPECT_EQ(audio(0, {0x2f, 0xff, 0xfb})->codec, Codec::mp3);
  EXPECT_FALSE(audio(0, {0x2f, 0xff, 0xfb})->sequence_header);
  EXPECT_EQ(audio(0, {0x72, 0x00})->codec, Codec::other);  // G.711 A-law
}

TEST(PacketTest, EnhancedAudioFourCc) {
  Bytes opus{0x90, 'O', 'p', 'u', 's', 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd'};
  auto p = audio(0, opus);
  EXPECT_EQ(p->codec, Codec::opus);
  EXPECT_TRUE(p->sequence_header);
  opus[0] = 0x91;  // coded frames
  EXPECT_FALSE(audio(0, opus)->sequence_header);
}

TEST(PacketTest, ShortBodiesNeverThrow) {
  EXPECT_EQ(video(0, {})->codec, Codec::other);
  EXPECT_EQ(audio(0, {})->codec, Codec::other);
  auto p = video(0, {0x17});
  EXPECT_EQ(p->codec, Codec::h264);
  EXPECT_FALSE(p->sequence_header);
  EXPECT_EQ(video(0, {0x90, 'h', 'v'})->codec, Codec::other);
}

TEST(PacketTest, DataMessage) {
  auto p = make_packet(MediaType::data, 0, Bytes{0x02, 0x00, 0x0a});
  EXPECT_EQ(p->codec, Codec::none);
  EXPECT_FALSE(p->keyframe);
  EXPECT_FALSE(p->sequence_header);
}

TEST(PacketTest, FlvTagLayoutAndBodyView) {
  const Bytes body{0x17, 0x01, 0x00, 0x00, 0x00, 0xaa, 0xbb};
  auto p = video(0x00123456, body);
  const Bytes& t = p->flv_tag;
  ASSERT_EQ(t.size(), 11 + body.size() + 4);
  EXPECT_EQ(t[0], 9);                                   // tag type
  EXPECT_EQ((Bytes{t.begin() + 1, t.begin() + 4}), (Bytes{0x00, 0x00, 0x07}));  // data size
  EXPECT_EQ((Bytes{t.begin() + 4, t.begin() + 8}), (Bytes{0x12, 0x34, 0x56, 0x00}));
  EXPECT_EQ((Bytes{t.begin() + 8, t.begin() + 11}), (Bytes{0x00, 0x00, 0x00}));  // stream id
  EXPECT_EQ((Bytes{t.end() - 4, t.end()}), (Bytes{0x00, 0x00, 0x00, 18}));     // 11 + 7
  const ByteView view = p->body();
  EXPECT_EQ(Bytes(view.begin(), view.end()), body);
  EXPECT_EQ(view.data(), t.data() + 11);  // a view into the tag, not a copy
}

TEST(PacketTest, ExtendedTimestampByte) {
  auto p = audio(0x89abcdef, {0xaf, 0x01, 0x00});
  const Bytes& t = p->flv_tag;
  EXPECT_EQ((Bytes{t.begin() + 4, t.begin() + 8}), (Bytes{0xab, 0xcd, 0xef, 0x89}));
  EXPECT_EQ(p->timestamp, 0x89abcdefu);
}

TEST(PacketTest, EmptyBodyTag) {
  auto p = make_packet(MediaType::data, 5, ByteView{});
  EXPECT_EQ(p->flv_tag.size(), 15u);
  EXPECT_TRUE(p->body().empty());
  EXPECT_EQ(p->flv_tag.back(), 11);
}

TEST(PacketTest, RtmpChunksComputedOnce) {
  auto p = video(0, {0x27, 0x01, 0, 0, 0});
  int calls = 0;
  auto make = [&](const Packet&) { ++calls; return Bytes{1, 2, 3}; };
  EXPECT_EQ(p->rtmp_chunks(make), (Bytes{1, 2, 3}));
  EXPECT_EQ(p->rtmp_chunks(make), (Bytes{1, 2, 3}));
  EXPECT_EQ(calls, 1);
}

TEST(PacketTest, CodecNames) {
  EXPECT_STREQ(codec_name(Codec::h264), "h264");
  EXPECT_STREQ(codec_name(Codec::hevc), "hevc");
  EXPECT_STREQ(codec_name(Codec::aac), "aac");
  EXPECT_STREQ(codec_name(Codec::none), "none");
}

}  // namespace
}  // namespace liveorigin::media

namespace liveorigin::media {
namespace {

TEST(PacketMetadata, OnMetaDataIsStampedZeroOtherDataKeepsItsTime) {
  const Bytes meta{0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a', 0x05};
  EXPECT_TRUE(is_metadata_body(meta));
  auto p = make_packet(MediaType::data, 2625, meta);
  EXPECT_EQ(p->timestamp, 0u);
  EXPECT_EQ(p->flv_tag[4] | p->flv_tag[5] | p->flv_tag[6] | p->flv_tag[7], 0);
  const Bytes cue{0x02, 0x00, 0x0a, 'o', 'n', 'C', 'u', 'e', 'P', 'o', 'i', 'n', 't', 0x05};
  EXPECT_FALSE(is_metadata_body(cue));
  EXPECT_EQ(make_packet(MediaType::data, 2625, cue)->timestamp, 2625u);
}

}  // namespace
}  // namespace liveorigin::media
