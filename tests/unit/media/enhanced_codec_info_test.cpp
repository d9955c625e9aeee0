// Codec information of the enhanced RTMP codecs, from records and frames real encoders wrote
// (SVT-AV1, libvpx-vp9 through ffmpeg's MP4 muxer) and hand-built audio headers.
#include <gtest/gtest.h>

#include <random>

#include "liveorigin/media/codec_info.hpp"

namespace liveorigin::media {
namespace {

// av1C of SVT-AV1 at 320x240: marker/version, profile/level, flags, then a sequence header OBU.
const Bytes kAv1c320x240{0x81, 0x00, 0x0c, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00,
                         0x04, 0x3c, 0xff, 0xbc, 0x02, 0xf8, 0x00, 0x40};
// vpcC box payload (version 1, flags 0) of libvpx-vp9: profile 0, level 2.0, 8-bit 4:2:0.
const Bytes kVpcc{0x01, 0x00, 0x00, 0x00, 0x00, 0x14, 0x82, 0x02, 0x02, 0x02, 0x00, 0x00};
// The first bytes of libvpx-vp9's first key frame at 320x240.
const Bytes kVp9Key{0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf6, 0x06, 0x38, 0x24};

TEST(EnhancedCodecInfoTest, Av1ConfigWithSequenceHeader) {
  const auto info = parse_av1_config(kAv1c320x240);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->codec, Codec::av1);
  EXPECT_EQ(info->width, 320);
  EXPECT_EQ(info->height, 240);
  EXPECT_EQ(info->profile, "Main");
  EXPECT_EQ(info->level, 20);
}

TEST(EnhancedCodecInfoTest, Av1ConfigWithoutObusAndKeyFrame) {
  const Bytes bare(kAv1c320x240.begin(), kAv1c320x240.begin() + 4);
  const auto info = parse_av1_config(bare);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->width, 0);
  EXPECT_EQ(info->profile, "Main");
  // A temporal unit: temporal delimiter OBU, then the sequence header.
  Bytes tu{0x12, 0x00};
  tu.insert(tu.end(), kAv1c320x240.begin() + 4, kAv1c320x240.end());
  const auto key = parse_key_frame_info(Codec::av1, tu);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->width, 320);
  EXPECT_EQ(key->height, 240);
}

TEST(EnhancedCodecInfoTest, Vp9ConfigAndKeyFrame) {
  const auto config = parse_vp9_config(kVpcc);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->profile, "Profile 0");
  EXPECT_EQ(config->level, 20);
  const Vp9Format f = parse_vp9_format(kVpcc);
  EXPECT_EQ(f.bit_depth, 8);
  EXPECT_EQ(f.chroma_subsampling, 1);
  const auto key = parse_key_frame_info(Codec::vp9, kVp9Key);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->width, 320);
  EXPECT_EQ(key->height, 240);
  Bytes inter = kVp9Key;
  inter[0] = 0x86;  // frame_type 1: no size in the header
  EXPECT_FALSE(parse_key_frame_info(Codec::vp9, inter));
}

TEST(EnhancedCodecInfoTest, FlacStreamInfo) {
  // "fLaC", last-block STREAMINFO header (34 bytes), block sizes 4096, frame sizes 0, then
  // 44100 Hz (20 bits), 2 channels (3 bits: 1), 16 bits (5 bits: 15), total samples, MD5.
  Bytes h{'f', 'L', 'a', 'C', 0x80, 0x00, 0x00, 0x22, 0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0};
  const std::uint32_t rate = 44100;
  h.push_back(static_cast<std::uint8_t>(rate >> 12));
  h.push_back(static_cast<std::uint8_t>(rate >> 4));
  h.push_back(static_cast<std::uint8_t>((rate & 0x0f) << 4 | 1 << 1 | 0));
  h.resize(8 + 34, 0xf0);
  const auto info = parse_flac_config(h);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->codec, Codec::flac);
  EXPECT_EQ(info->sample_rate, 44100);
  EXPECT_EQ(info->channels, 2);
}

TEST(EnhancedCodecInfoTest, Ac3Eac3AndMp3Frames) {
  // AC-3: sync, crc, fscod 0 (48 kHz) frmsizecod, bsid 8 bsmod 0, acmod 7 (3/2), mixlevs, lfe on.
  const Bytes ac3{0x0b, 0x77, 0x00, 0x00, 0x1c, 0x40, 0xe0 | 0x0b, 0x40};
  auto info = parse_audio_frame_info(Codec::ac3, ac3);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->codec, Codec::ac3);
  EXPECT_EQ(info->sample_rate, 48000);
  EXPECT_EQ(info->channels, 6);
  // E-AC-3: strmtyp 0, substream 0, frmsiz, fscod 0 numblkscod 3, acmod 2, lfe 0, bsid 16.
  const Bytes eac3{0x0b, 0x77, 0x00, 0xff, 0x34, 0x80};
  info = parse_audio_frame_info(Codec::eac3, eac3);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->codec, Codec::eac3);
  EXPECT_EQ(info->sample_rate, 48000);
  EXPECT_EQ(info->channels, 2);
  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, joint stereo.
  info = parse_audio_frame_info(Codec::mp3, Bytes{0xff, 0xfb, 0x90, 0x64});
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sample_rate, 44100);
  EXPECT_EQ(info->channels, 2);
  EXPECT_FALSE(parse_audio_frame_info(Codec::ac3, Bytes{0x0b, 0x77, 0x00}));
}

// Cut and bit-flipped inputs never throw or read out of bounds (ASan).
TEST(EnhancedCodecInfoTest, MalformedInputIsRejectedQuietly) {
  std::mt19937 rng(7);
  for (const Bytes* good : {&kAv1c320x240, &kVpcc, &kVp9Key}) {
    for (std::size_t n = 0; n <= good->size(); ++n) {
      const Bytes cut(good->begin(), good->begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_NO_THROW(parse_av1_config(cut));
      EXPECT_NO_THROW(parse_vp9_config(cut));
      EXPECT_NO_THROW(parse_key_frame_info(Codec::av1, cut));
      EXPECT_NO_THROW(parse_key_frame_info(Codec::vp9, cut));
      EXPECT_NO_THROW(parse_flac_config(cut));
      EXPECT_NO_THROW(parse_audio_frame_info(Codec::eac3, cut));
    }
    for (int i = 0; i < 2000; ++i) {
      Bytes bad = *good;
      bad[rng() % bad.size()] ^= static_cast<std::uint8_t>(1 << rng() % 8);
      EXPECT_NO_THROW(parse_av1_config(bad));
      EXPECT_NO_THROW(parse_key_frame_info(Codec::av1, bad));
      EXPECT_NO_THROW(parse_key_frame_info(Codec::vp9, bad));
    }
  }
}

}  // namespace
}  // namespace liveorigin::media
