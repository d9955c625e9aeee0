#include "liveorigin/media/codec_info.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace liveorigin::media {
namespace {

// Real sequence headers (FLV tag bodies) made by ffmpeg 5.1 with libx264 / its AAC encoder, e.g.
//   ffmpeg -f lavfi -i testsrc2=size=854x480:rate=30 -t 0.2 -c:v libx264 -f flv x.flv
// HEVC records are the hvcC boxes of libx265 MP4 output (this FLV muxer refuses HEVC), keeping
// only the VPS/SPS/PPS arrays (x265 also stores a large SEI there).
constexpr std::uint8_t kAvc1280x720High[] = {
  0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64,
  0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
  0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3,
  0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00
};
constexpr std::uint8_t kAvc854x480High[] = {
  0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64,
  0x00, 0x1f, 0xac, 0xd9, 0x40, 0xd8, 0x3d, 0xe6, 0xf0, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01,
  0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x18, 0x31, 0x96, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3,
  0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00
};
constexpr std::uint8_t kAvc1920x1080High[] = {
  0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0x64,
  0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00,
  0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc6, 0x58, 0x01, 0x00, 0x06, 0x68, 0xeb,
  0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00
};
constexpr std::uint8_t kAvc640x360Baseline[] = {
  0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x42,
  0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00,
  0x00, 0x03, 0x00, 0x3c, 0x0f, 0x16, 0x2e, 0x48, 0x01, 0x00, 0x05, 0x68, 0xcb, 0x83, 0xcb,
  0x20
};
constexpr std::uint8_t kAvc1280x720Main[] = {
  0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x4d, 0x40, 0x1f, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x4d,
  0x40, 0x1f, 0xec, 0xa0, 0x28, 0x02, 0xdd, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00,
  0x00, 0x03, 0x01, 0xe0, 0x78, 0xc1, 0x8c, 0xb0, 0x01, 0x00, 0x05, 0x68, 0xeb, 0xe3, 0xcb,
  0x20
};
constexpr std::uint8_t kAvc1920x1080Interlaced[] = {
  0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64,
  0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x04, 0x4f, 0xde, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00,
  0x20, 0x00, 0x00, 0x07, 0x83, 0xe2, 0xc5, 0xb2, 0xc0, 0x01, 0x00, 0x06, 0x68, 0xfb, 0xa3,
  0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00
};
constexpr std::uint8_t kAvc854x480High444[] = {
  0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0xf4, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0xf4,
  0x00, 0x1f, 0x91, 0x9b, 0x28, 0x1b, 0x07, 0xbc, 0x5f, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00,
  0x08, 0x00, 0x00, 0x03, 0x01, 0xe0, 0x78, 0xc1, 0x8c, 0xb0, 0x01, 0x00, 0x08, 0x68, 0xeb,
  0xe3, 0xc4, 0x4c, 0x00, 0x04, 0x40, 0xff, 0xf8, 0xf8, 0x00
};
constexpr std::uint8_t kAvc1278x718High422[] = {
  0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x7a, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0x7a,
  0x00, 0x1f, 0xb6, 0xcd, 0x94, 0x05, 0x00, 0x5b, 0xea, 0xf0, 0x11, 0x00, 0x00, 0x03, 0x00,
  0x01, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x18, 0x31, 0x96, 0x01, 0x00, 0x06, 0x68, 0xeb,
  0xe3, 0xcb, 0x22, 0xc0, 0xfe, 0xfa, 0xfa, 0x00
};
constexpr std::uint8_t kAac44100Stereo[] = {
  0xaf, 0x00, 0x12, 0x10, 0x56, 0xe5, 0x00
};
constexpr std::uint8_t kAac48000Mono[] = {
  0xaf, 0x00, 0x11, 0x88, 0x56, 0xe5, 0x00
};
constexpr std::uint8_t kMp3Frame[] = {
  0x2a, 0xff, 0xf3, 0x40, 0xc4, 0x00, 0x13, 0x30
};
constexpr std::uint8_t kHvcc1920x1080Main[] = {
  0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x78, 0xf0, 0x00,
  0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01,
  0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
  0x00, 0x03, 0x00, 0x78, 0x95, 0x98, 0x09, 0xa1, 0x00, 0x01, 0x00, 0x2a, 0x42, 0x01, 0x01,
  0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x78,
  0xa0, 0x03, 0xc0, 0x80, 0x10, 0xe5, 0x96, 0x56, 0x69, 0x24, 0xca, 0xf0, 0x16, 0x80, 0x80,
  0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0f, 0x04, 0xa2, 0x00, 0x01, 0x00, 0x07, 0x44,
  0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40
};
constexpr std::uint8_t kHvcc854x480Main[] = {
  0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5a, 0xf0, 0x00,
  0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01,
  0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
  0x00, 0x03, 0x00, 0x5a, 0x95, 0x98, 0x09, 0xa1, 0x00, 0x01, 0x00, 0x2a, 0x42, 0x01, 0x01,
  0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5a,
  0xa0, 0x06, 0xb2, 0x01, 0xe1, 0xd7, 0x96, 0x56, 0x69, 0x24, 0xca, 0xf0, 0x16, 0x80, 0x80,
  0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x0f, 0x04, 0xa2, 0x00, 0x01, 0x00, 0x07, 0x44,
  0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40
};
constexpr std::uint8_t kHvcc1280x720Main10SubLayers[] = {
  0x01, 0x02, 0x20, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00,
  0xfc, 0xfd, 0xfa, 0xfa, 0x00, 0x00, 0x13, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x1c, 0x40, 0x01,
  0x0c, 0x02, 0xff, 0xff, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
  0x00, 0x03, 0x00, 0x5d, 0x00, 0x00, 0x95, 0x98, 0xac, 0xc0, 0x48, 0xa1, 0x00, 0x01, 0x00,
  0x2f, 0x42, 0x01, 0x02, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
  0x00, 0x03, 0x00, 0x5d, 0x00, 0x00, 0xa0, 0x02, 0x80, 0x80, 0x2d, 0x13, 0x65, 0x95, 0x98,
  0xac, 0xd2, 0x49, 0x95, 0xe0, 0x2d, 0x01, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03,
  0x00, 0x1e, 0x08, 0xa2, 0x00, 0x01, 0x00, 0x07, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40
};

PacketPtr packet(MediaType type, ByteView body) { return make_packet(type, 0, body); }

// A legacy FLV HEVC (codec id 12) or enhanced RTMP 'hvc1' sequence header around a record.
Bytes hevc_body(ByteView record, bool enhanced) {
  Bytes b = enhanced ? Bytes{0x90, 'h', 'v', 'c', '1'} : Bytes{0x1c, 0x00, 0x00, 0x00, 0x00};
  b.insert(b.end(), record.begin(), record.end());
  return b;
}

void expect_video(const std::optional<VideoInfo>& info, Codec codec, int width, int height,
                  const std::string& profile, int level) {
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->codec, codec);
  EXPECT_EQ(info->width, width);
  EXPECT_EQ(info->height, height);
  EXPECT_EQ(info->profile, profile);
  EXPECT_EQ(info->level, level);
}

std::optional<VideoInfo> video_info(ByteView body) {
  return parse_video_sequence_header(*packet(MediaType::video, body));
}
std::optional<AudioInfo> audio_info(ByteView body) {
  return parse_audio_sequence_header(*packet(MediaType::audio, body));
}

TEST(CodecInfoTest, AvcRealHeaders) {
  expect_video(video_info(kAvc1280x720High), Codec::h264, 1280, 720, "High", 31);
  expect_video(video_info(kAvc1280x720Main), Codec::h264, 1280, 720, "Main", 31);
  expect_video(video_info(kAvc640x360Baseline), Codec::h264, 640, 360, "Constrained Baseline", 30);
}

TEST(CodecInfoTest, AvcCropping) {
  expect_video(video_info(kAvc854x480High), Codec::h264, 854, 480, "High", 31);      // 864 → 854
  expect_video(video_info(kAvc1920x1080High), Codec::h264, 1920, 1080, "High", 40);  // 1088 → 1080
}

TEST(CodecInfoTest, AvcInterlacedCropsInFieldPairs) {
  expect_video(video_info(kAvc1920x1080Interlaced), Codec::h264, 1920, 1080, "High", 40);
}

TEST(CodecInfoTest, AvcChromaFormatsChangeCropUnits) {
  expect_video(video_info(kAvc854x480High444), Codec::h264, 854, 480, "High 4:4:4 Predictive", 31);
  expect_video(video_info(kAvc1278x718High422), Codec::h264, 1278, 718, "High 4:2:2", 31);
}

TEST(CodecInfoTest, AvcNotASequenceHeader) {
  EXPECT_FALSE(video_info(Bytes{0x17, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x65}));
  EXPECT_FALSE(audio_info(Bytes{0xaf, 0x01, 0x21}));
  // The right bytes in the wrong message type.
  EXPECT_FALSE(parse_video_sequence_header(*packet(MediaType::audio, kAvc1280x720High)));
  EXPECT_FALSE(parse_audio_sequence_header(*packet(MediaType::data, kAac44100Stereo)));
}

TEST(CodecInfoTest, EnhancedAvc) {
  Bytes body{0x90, 'a', 'v', 'c', '1'};
  body.insert(body.end(), std::begin(kAvc854x480High) + 5, std::end(kAvc854x480High));
  expect_video(video_info(body), Codec::h264, 854, 480, "High", 31);
}

TEST(CodecInfoTest, HevcLegacyAndEnhanced) {
  for (bool enhanced : {false, true}) {
    SCOPED_TRACE(enhanced);
    expect_video(video_info(hevc_body(kHvcc1920x1080Main, enhanced)), Codec::hevc, 1920, 1080,
                 "Main", 40);
    expect_video(video_info(hevc_body(kHvcc854x480Main, enhanced)), Codec::hevc, 854, 480, "Main",
                 30);
  }
}

TEST(CodecInfoTest, HevcSubLayersInProfileTierLevel) {
  expect_video(video_info(hevc_body(kHvcc1280x720Main10SubLayers, true)), Codec::hevc, 1280, 720,
               "Main 10", 31);
}

TEST(CodecInfoTest, HevcRecordWithoutSps) {
  Bytes record(kHvcc854x480Main, kHvcc854x480Main + 22);
  record.push_back(0);  // no arrays
  EXPECT_FALSE(parse_hevc_decoder_config(record));
}

TEST(CodecInfoTest, Av1AndVp9GiveCodecOnly) {
  auto av1 = video_info(Bytes{0x90, 'a', 'v', '0', '1', 0x81, 0x08, 0x0c, 0x00});
  ASSERT_TRUE(av1);
  EXPECT_EQ(av1->codec, Codec::av1);
  EXPECT_EQ(av1->width, 0);
  auto vp9 = video_info(Bytes{0x90, 'v', 'p', '0', '9', 0x01});
  ASSERT_TRUE(vp9);
  EXPECT_EQ(vp9->codec, Codec::vp9);
  EXPECT_FALSE(video_info(Bytes{0x91, 'a', 'v', '0', '1', 0, 0, 0}));  // coded frames
}

// Writes H.264 SPS syntax, to build what no encoder at hand produces: scaling lists in the SPS,
// picture order type 1, emulation-prevention bytes.
class BitWriter {
 public:
  void bits(std::uint32_t v, int n) {
    for (int i = n - 1; i >= 0; --i) bit(v >> i & 1);
  }
  void bit(int b) {
    if (count_ % 8 == 0) out_.push_back(0);
    if (b) out_.back() |= static_cast<std::uint8_t>(0x80 >> count_ % 8);
    ++count_;
  }
  void ue(std::uint32_t v) {
    const std::uint64_t x = std::uint64_t{v} + 1;
    int len = 0;
    while (x >> (len + 1)) ++len;
    bits(0, len);
    bits(static_cast<std::uint32_t>(x), len + 1);
  }
  void se(std::int32_t v) {
    const std::int64_t wide = v;
    ue(static_cast<std::uint32_t>(wide > 0 ? 2 * wide - 1 : -2 * wide));
  }
  // The bits so far, zero-padded to a byte (for AudioSpecificConfig).
  Bytes data() {
    while (count_ % 8) bit(0);
    return out_;
  }
  // rbsp_trailing_bits, then emulation prevention as an encoder would insert it.
  Bytes nal(std::uint8_t header) {
    bit(1);
    while (count_ % 8) bit(0);
    Bytes out{header};
    int zeros = 0;
    for (auto b : out_) {
      if (zeros == 2 && b <= 3) { out.push_back(3); zeros = 0; }
      zeros = b == 0 ? zeros + 1 : 0;
      out.push_back(b);
    }
    return out;
  }

 private:
  Bytes out_;
  int count_ = 0;
};

// An AVCDecoderConfigurationRecord holding one SPS and a dummy PPS, behind the FLV prefix.
Bytes avc_body(const Bytes& sps) {
  Bytes b{0x17, 0x00, 0x00, 0x00, 0x00, 0x01, sps[1], sps[2], sps[3], 0xff, 0xe1};
  b.push_back(static_cast<std::uint8_t>(sps.size() >> 8));
  b.push_back(static_cast<std::uint8_t>(sps.size()));
  b.insert(b.end(), sps.begin(), sps.end());
  b.insert(b.end(), {0x01, 0x00, 0x02, 0x68, 0xce});
  return b;
}

TEST(CodecInfoTest, AvcScalingListsAndPocType1) {
  BitWriter w;
  w.bits(100, 8);   // High
  w.bits(0, 8);     // constraint flags
  w.bits(40, 8);    // level_idc
  w.ue(0);          // sps id
  w.ue(1);          // 4:2:0
  w.ue(0);
  w.ue(0);
  w.bit(0);
  w.bit(1);         // seq_scaling_matrix_present_flag
  for (int i = 0; i < 8; ++i) {
    w.bit(i % 2 == 0);  // lists 0, 2, 4, 6 present
    if (i % 2) continue;
    const int size = i < 6 ? 16 : 64;
    for (int j = 0; j < size; ++j) w.se(j == 0 ? 8 : j == size - 1 ? -16 : 1);  // ends with next = 0
  }
  w.ue(0);          // log2_max_frame_num_minus4
  w.ue(1);          // pic_order_cnt_type 1
  w.bit(0);
  w.se(-(1 << 29));  // a 30-bit zero run: the encoder must insert emulation prevention
  w.se(1 << 20);
  w.ue(3);          // cycle of 3
  w.se(1); w.se(-1); w.se(5);
  w.ue(4);          // max refs
  w.bit(0);
  w.ue(1920 / 16 - 1);
  w.ue(1088 / 16 - 1);
  w.bit(1);         // frame_mbs_only
  w.bit(1);
  w.bit(1);         // cropping
  w.ue(2); w.ue(6); w.ue(0); w.ue(4);  // 4 left, 12 right, 8 bottom (4:2:0 → ×2)
  w.bit(0);         // no VUI
  const Bytes sps = w.nal(0x67);
  const Bytes escape{0, 0, 3};
  ASSERT_NE(std::search(sps.begin(), sps.end(), escape.begin(), escape.end()), sps.end());
  expect_video(video_info(avc_body(sps)), Codec::h264, 1904, 1080, "High", 40);
}

// Found by the codec fuzzer: a scaling-list delta of about 2^31 overflowed int arithmetic.
// delta_scale must lie in [-128, 127] (H.264 7.4.2.1.1.1); beyond it the SPS is refused.
TEST(CodecInfoTest, AvcScalingListDeltaOutOfRangeIsRefused) {
  for (const int delta : {128, -129, 1 << 30}) {
    BitWriter w;
    w.bits(100, 8);  // High
    w.bits(0, 8);
    w.bits(40, 8);
    w.ue(0);
    w.ue(1);
    w.ue(0);
    w.ue(0);
    w.bit(0);
    w.bit(1);        // seq_scaling_matrix_present_flag
    w.bit(1);        // list 0 present
    w.se(delta);
    for (int i = 0; i < 64; ++i) w.bit(1);
    EXPECT_FALSE(video_info(avc_body(w.nal(0x67)))) << delta;
  }
  // The fuzzer's own input (an AVCDecoderConfigurationRecord).
  const Bytes record{0x01, 0x42, 0xc0, 0x0d, 0xff, 0xe1, 0x00, 0x56, 0x67, 0x86, 0xec, 0xff, 0xff, 0xcb,
                     0xcf, 0xcf, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0x84, 0xcb, 0xcb, 0xcb,
                     0xcb, 0xcb, 0xcb, 0xcd, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0xcb, 0x50,
                     0xef, 0xcb, 0xcb, 0xcb, 0xcb, 0x42, 0x4d, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                     0x08, 0x64, 0xc6, 0xc6, 0xc6, 0xc6, 0xc6, 0xba, 0x00, 0x01, 0x7f, 0xe1, 0x00, 0x16,
                     0x67, 0x13, 0xfb, 0xff, 0xd2, 0x42, 0xc0, 0x01, 0x00, 0x5b, 0xf8, 0x3f, 0x00, 0x60,
                     0x00, 0x00, 0x12, 0x3d, 0xaf, 0x2c, 0x42, 0x4d, 0x80, 0x00, 0x00, 0x00};
  EXPECT_FALSE(parse_avc_decoder_config(record));
}

TEST(CodecInfoTest, AvcMonochromeAndFieldCropUnits) {
  BitWriter w;
  w.bits(100, 8); w.bits(0, 8); w.bits(30, 8);
  w.ue(0);
  w.ue(0);          // 4:0:0: crop units are luma samples
  w.ue(0); w.ue(0); w.bit(0); w.bit(0);
  w.ue(0); w.ue(2); // pic_order_cnt_type 2
  w.ue(1); w.bit(0);
  w.ue(44); w.ue(14);  // 720 × (15 map units × 2 fields × 16) = 480
  w.bit(0); w.bit(0);  // fields, mb_adaptive
  w.bit(1);
  w.bit(1); w.ue(1); w.ue(2); w.ue(3); w.ue(1);  // x: 1 + 2, y: (3 + 1) × 2
  w.bit(0);
  expect_video(video_info(avc_body(w.nal(0x67))), Codec::h264, 717, 472, "High", 30);
}

TEST(CodecInfoTest, AacRealHeaders) {
  auto stereo = audio_info(kAac44100Stereo);
  ASSERT_TRUE(stereo);
  EXPECT_EQ(stereo->codec, Codec::aac);
  EXPECT_EQ(stereo->sample_rate, 44100);
  EXPECT_EQ(stereo->channels, 2);
  EXPECT_EQ(stereo->aac_object_type, 2);  // its sync extension says "no SBR"
  auto mono = audio_info(kAac48000Mono);
  ASSERT_TRUE(mono);
  EXPECT_EQ(mono->sample_rate, 48000);
  EXPECT_EQ(mono->channels, 1);
  EXPECT_EQ(mono->aac_object_type, 2);
}

AudioInfo asc(Bytes config) {
  auto info = parse_audio_specific_config(config);
  EXPECT_TRUE(info);
  return info.value_or(AudioInfo{});
}

TEST(CodecInfoTest, AacExplicitSbrAndPs) {
  // AOT 5, 24 kHz core (6), stereo, extension 48 kHz (3), then AOT 2.
  BitWriter w;
  w.bits(5, 5); w.bits(6, 4); w.bits(2, 4); w.bits(3, 4); w.bits(2, 5); w.bits(0, 2);
  Bytes config = w.data();
  auto v1 = parse_audio_specific_config(config);
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->aac_object_type, 5);
  EXPECT_EQ(v1->sample_rate, 48000);
  EXPECT_EQ(v1->channels, 2);

  BitWriter p;  // AOT 29 (HE v2), 22.05 kHz mono core → 44.1 kHz stereo
  p.bits(29, 5); p.bits(7, 4); p.bits(1, 4); p.bits(4, 4); p.bits(2, 5); p.bits(0, 2);
  config = p.data();
  auto v2 = parse_audio_specific_config(config);
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->aac_object_type, 29);
  EXPECT_EQ(v2->sample_rate, 44100);
  EXPECT_EQ(v2->channels, 2);
}

TEST(CodecInfoTest, AacBackwardCompatibleSbrSignalling) {
  BitWriter w;  // LC 24 kHz stereo, GASpecificConfig, then sync extension 0x2b7: SBR at 48 kHz, PS
  w.bits(2, 5); w.bits(6, 4); w.bits(2, 4); w.bits(0, 3);
  w.bits(0x2b7, 11); w.bits(5, 5); w.bit(1); w.bits(3, 4);
  w.bits(0x548, 11); w.bit(1);
  const AudioInfo info = asc(w.data());
  EXPECT_EQ(info.aac_object_type, 29);
  EXPECT_EQ(info.sample_rate, 48000);
  EXPECT_EQ(info.channels, 2);
}

TEST(CodecInfoTest, AacExplicitFrequencyAndEscapedObjectType) {
  // AOT 2, index 15 + 24-bit 32000, 5.1 (6).
  const AudioInfo explicit_rate = asc({0x17, 0x80, 0x3e, 0x80, 0x30});
  EXPECT_EQ(explicit_rate.sample_rate, 32000);
  EXPECT_EQ(explicit_rate.channels, 6);
  EXPECT_EQ(explicit_rate.aac_object_type, 2);
  // AOT 31 + 10 = 42 (USAC), 48 kHz, channel config 7 → 8 channels.
  const AudioInfo usac = asc({0xf9, 0x46, 0xe0});
  EXPECT_EQ(usac.aac_object_type, 42);
  EXPECT_EQ(usac.sample_rate, 48000);
  EXPECT_EQ(usac.channels, 8);
  EXPECT_FALSE(parse_audio_specific_config(Bytes{0x17}));            // truncated
  EXPECT_FALSE(parse_audio_specific_config(Bytes{0x16, 0x90}));      // sampling index 13
}

TEST(CodecInfoTest, EnhancedAudio) {
  auto aac = audio_info(Bytes{0x90, 'm', 'p', '4', 'a', 0x11, 0x90});
  ASSERT_TRUE(aac);
  EXPECT_EQ(aac->codec, Codec::aac);
  EXPECT_EQ(aac->sample_rate, 48000);
  EXPECT_EQ(aac->channels, 2);
  const Bytes opus{0x90, 'O', 'p', 'u', 's', 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd',
                   0x01, 0x02, 0x38, 0x01, 0x80, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x00};
  auto info = audio_info(opus);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->codec, Codec::opus);
  EXPECT_EQ(info->sample_rate, 48000);
  EXPECT_EQ(info->channels, 2);
  EXPECT_FALSE(audio_info(Bytes{0x90, 'O', 'p', 'u', 's', 'O', 'g', 'g'}));
}

TEST(CodecInfoTest, LegacyAudioFromSoundFlags) {
  auto mp3 = audio_info(kMp3Frame);  // ffmpeg: 22050 Hz mono
  ASSERT_TRUE(mp3);
  EXPECT_EQ(mp3->codec, Codec::mp3);
  EXPECT_EQ(mp3->sample_rate, 22050);
  EXPECT_EQ(mp3->channels, 1);
  EXPECT_EQ(mp3->aac_object_type, 0);
  auto stereo44 = audio_info(Bytes{0x2f, 0xff});
  ASSERT_TRUE(stereo44);
  EXPECT_EQ(stereo44->sample_rate, 44100);
  EXPECT_EQ(stereo44->channels, 2);
  EXPECT_EQ(audio_info(Bytes{0x32, 0x00})->sample_rate, 5512);   // linear PCM, 5.5 kHz
  EXPECT_EQ(audio_info(Bytes{0x36, 0x00})->sample_rate, 11025);
  EXPECT_EQ(audio_info(Bytes{0x5e, 0x00})->sample_rate, 8000);   // Nellymoser 8 kHz ignores rate bits
  EXPECT_EQ(audio_info(Bytes{0xb2, 0x00})->sample_rate, 16000);  // Speex
}

TEST(CodecInfoTest, AvcConfigToAnnexB) {
  const ByteView record = ByteView(kAvc640x360Baseline).subspan(5);
  const Bytes annexb = avc_config_to_annexb(record);
  Bytes expected{0, 0, 0, 1};
  expected.insert(expected.end(), record.begin() + 8, record.begin() + 8 + 0x19);   // SPS
  expected.insert(expected.end(), {0, 0, 0, 1});
  expected.insert(expected.end(), record.begin() + 8 + 0x19 + 3, record.end());    // PPS
  EXPECT_EQ(annexb, expected);
  EXPECT_EQ(annexb[4], 0x67);
  EXPECT_EQ(annexb[4 + 0x19 + 4], 0x68);
  EXPECT_THROW(avc_config_to_annexb(record.first(10)), ParseError);
  EXPECT_THROW(avc_config_to_annexb(ByteView{}), ParseError);
}

TEST(CodecInfoTest, AdtsHeader) {
  const AudioInfo lc{.codec = Codec::aac, .sample_rate = 44100, .channels = 2,
                     .aac_object_type = 2};
  // The first header of `ffmpeg -i kAac44100Stereo.flv -c copy -f adts`: a 338-byte payload.
  EXPECT_EQ(aac_adts_header(lc, 338), (Bytes{0xff, 0xf1, 0x50, 0x80, 0x2b, 0x3f, 0xfc}));
  const AudioInfo mono48{.codec = Codec::aac, .sample_rate = 48000, .channels = 1,
                         .aac_object_type = 2};
  const Bytes h = aac_adts_header(mono48, 0);
  EXPECT_EQ(h[2], 0x4c);  // LC, index 3, channel high bit 0
  EXPECT_EQ((h[3] >> 6), 1);
  EXPECT_EQ(((h[3] & 3) << 11 | h[4] << 3 | h[5] >> 5), 7);
  // HE-AAC v2 at 48 kHz goes out as LC 24 kHz mono.
  const AudioInfo he2{.codec = Codec::aac, .sample_rate = 48000, .channels = 2,
                      .aac_object_type = 29};
  const Bytes hh = aac_adts_header(he2, 100);
  EXPECT_EQ(hh[2], 0x58);  // profile 1 (LC), index 6 (24 kHz)
  EXPECT_EQ((hh[3] >> 6), 1);
  EXPECT_NO_THROW(aac_adts_header(lc, 8191 - 7));
  EXPECT_THROW(aac_adts_header(lc, 8191 - 6), std::length_error);
}

// Every truncation and many random corruptions of real headers: never a throw, never a crash
// (run under -fsanitize=address,undefined).
TEST(CodecInfoTest, MalformedInputNeverThrows) {
  std::vector<Bytes> video{
      Bytes(std::begin(kAvc1920x1080High), std::end(kAvc1920x1080High)),
      Bytes(std::begin(kAvc854x480High444), std::end(kAvc854x480High444)),
      hevc_body(kHvcc1280x720Main10SubLayers, false),
      hevc_body(kHvcc1920x1080Main, true),
  };
  std::vector<Bytes> audio{Bytes(std::begin(kAac44100Stereo), std::end(kAac44100Stereo))};
  std::mt19937 rng(42);
  auto check = [](MediaType type, const Bytes& body) {
    auto p = packet(type, body);
    EXPECT_NO_THROW(parse_video_sequence_header(*p));
    EXPECT_NO_THROW(parse_audio_sequence_header(*p));
  };
  for (const auto* set : {&video, &audio}) {
    const MediaType type = set == &video ? MediaType::video : MediaType::audio;
    for (const Bytes& good : *set) {
      for (std::size_t n = 0; n < good.size(); ++n) {
        const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        check(type, cut);
      }
      for (int i = 0; i < 3000; ++i) {
        Bytes bad = good;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) bad[2 + rng() % (bad.size() - 2)] ^= 1 << rng() % 8;
        check(type, bad);
      }
    }
  }
}

}  // namespace
}  // namespace liveorigin::media
