#include "liveorigin/hls/ts_muxer.hpp"

#include <gtest/gtest.h>

#include "ts_reader.hpp"

namespace liveorigin::hls {
namespace {

using testing::read_ts_segment;

TEST(TsMuxer, SegmentStartsWithPatAndPmtListingItsTracks) {
  TsMuxer mux;
  Bytes out;
  mux.begin_segment(out, {media::Codec::h264, media::Codec::aac});
  ASSERT_EQ(out.size(), 2 * kTsPacketSize);
  const auto content = read_ts_segment(out);
  EXPECT_EQ(content.psi_pids, (std::vector<std::uint16_t>{0, 0x1000}));
  EXPECT_EQ(content.stream_types.at(0x100), 0x1b);
  EXPECT_EQ(content.stream_types.at(0x101), 0x0f);
}

TEST(TsMuxer, PsiSectionsCarryAValidCrc) {
  TsMuxer mux;
  Bytes out;
  mux.begin_segment(out, {media::Codec::none, media::Codec::aac});
  // CRC-32/MPEG-2 over a section including its CRC is 0.
  for (std::size_t at : {std::size_t{0}, kTsPacketSize}) {
    const std::uint8_t* s = &out[at + 5];
    const std::size_t len = 3 + ((s[1] & 0x0f) << 8 | s[2]);
    std::uint32_t crc = 0xffffffffu;
    for (std::size_t i = 0; i < len; ++i) {
      crc ^= std::uint32_t(s[i]) << 24;
      for (int k = 0; k < 8; ++k) crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    EXPECT_EQ(crc, 0u) << "section at " << at;
  }
}

TEST(TsMuxer, PesRoundTripsPayloadTimestampsAndPcrForAnySize) {
  for (std::size_t size : {1u, 100u, 157u, 158u, 170u, 171u, 183u, 184u, 185u, 366u, 367u, 5000u, 70000u}) {
    TsMuxer mux;
    Bytes out;
    mux.begin_segment(out, {media::Codec::h264, media::Codec::aac});
    Bytes frame(size);
    for (std::size_t i = 0; i < size; ++i) frame[i] = static_cast<std::uint8_t>(i * 7);
    mux.write_video(out, frame, 90000 + 3600, 90000, true);
    mux.write_audio(out, frame, 91000);
    mux.write_video(out, frame, 93600, 93600, false);
    const auto content = read_ts_segment(out);
    ASSERT_EQ(content.pes.size(), 3u) << size;
    EXPECT_EQ(content.pes[0].payload, frame) << size;
    EXPECT_EQ(content.pes[0].pts, 93600u);
    EXPECT_EQ(content.pes[0].dts, 90000u);
    EXPECT_TRUE(content.pes[0].random_access);
    EXPECT_EQ(content.pes[0].pcr, 90000u);
    EXPECT_EQ(content.pes[1].payload, frame) << size;
    EXPECT_EQ(content.pes[1].pts, 91000u);
    EXPECT_FALSE(content.pes[1].pcr.has_value());
    EXPECT_FALSE(content.pes[2].random_access);
    EXPECT_EQ(content.pes[2].dts, 93600u);
  }
}

TEST(TsMuxer, AudioOnlyCarriesPcrOnAudioAndWrapsTimestampsAt33Bits) {
  TsMuxer mux;
  Bytes out;
  mux.begin_segment(out, {media::Codec::none, media::Codec::aac});
  Bytes frame(50, 1);
  mux.write_audio(out, frame, (std::uint64_t{1} << 33) + 5);
  const auto content = read_ts_segment(out);
  ASSERT_EQ(content.pes.size(), 1u);
  EXPECT_EQ(content.pes[0].pts, 5u);
  EXPECT_EQ(content.pes[0].pcr, 5u);
  EXPECT_EQ(content.stream_types.count(0x100), 0u);
}

}  // namespace
}  // namespace liveorigin::hls
