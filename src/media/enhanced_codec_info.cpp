// Codec information of the enhanced RTMP codecs: AV1 (av1C, sequence header OBU), VP9 (vpcC, key
// frame header), FLAC (STREAMINFO), AC-3 / E-AC-3 and MP3 frame headers.
#include <array>
#include <cstdint>
#include <string>

#include "bit_reader.hpp"
#include "liveorigin/media/codec_info.hpp"

namespace liveorigin::media {

namespace {

constexpr int kMaxSize = 1 << 16;

bool plausible(int w, int h) { return w > 0 && h > 0 && w <= kMaxSize && h <= kMaxSize; }

// ---- AV1 (AV1 bitstream spec 5.3, 5.5; AV1-ISOBMFF 2.3) ----------------------------------------

constexpr int kObuSequenceHeader = 1;

std::uint64_t leb128(ByteReader& r) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    const std::uint8_t b = r.u8();
    v |= std::uint64_t{b & 0x7fu} << (7 * i);
    if (!(b & 0x80)) return v;
  }
  throw ParseError("bad leb128");
}

std::uint32_t uvlc(BitReader& r) {
  int zeros = 0;
  while (r.bit() == 0) {
    if (++zeros >= 32) throw ParseError("bad uvlc");
  }
  return zeros == 0 ? 0 : (1u << zeros) - 1 + r.bits(zeros);
}

const char* av1_profile_name(int profile) {
  switch (profile) {
    case 0: return "Main";
    case 1: return "High";
    case 2: return "Professional";
    default: return "";
  }
}

// sequence_header_obu(): everything up to max_frame_{width,height}_minus_1.
VideoInfo parse_av1_sequence_header(ByteView obu) {
  BitReader r(obu);
  VideoInfo info;
  info.codec = Codec::av1;
  const int profile = static_cast<int>(r.bits(3));
  r.skip(1);  // still_picture
  const bool reduced = r.bit();
  int level_idx = 0;
  if (reduced) {
    level_idx = static_cast<int>(r.bits(5));
  } else {
    bool decoder_model = false;
    int buffer_delay_bits = 0;
    if (r.bit()) {  // timing_info_present_flag
      r.skip(64);   // num_units_in_display_tick, time_scale
      if (r.bit()) uvlc(r);  // equal_picture_interval → num_ticks_per_picture_minus_1
      decoder_model = r.bit();
      if (decoder_model) {
        buffer_delay_bits = static_cast<int>(r.bits(5)) + 1;
        r.skip(32 + 5 + 5);  // num_units_in_decoding_tick, two length fields
      }
    }
    const bool initial_display_delay = r.bit();
    const int operating_points = static_cast<int>(r.bits(5)) + 1;
    for (int i = 0; i < operating_points; ++i) {
      r.skip(12);  // operating_point_idc
      const int idx = static_cast<int>(r.bits(5));
      if (i == 0) level_idx = idx;
      if (idx > 7) r.skip(1);  // seq_tier
      if (decoder_model && r.bit()) r.skip(2 * static_cast<std::size_t>(buffer_delay_bits) + 1);
      if (initial_display_delay && r.bit()) r.skip(4);
    }
  }
  const int width_bits = static_cast<int>(r.bits(4)) + 1;
  const int height_bits = static_cast<int>(r.bits(4)) + 1;
  const int width = static_cast<int>(r.bits(width_bits)) + 1;
  const int height = static_cast<int>(r.bits(height_bits)) + 1;
  if (!plausible(width, height)) throw ParseError("bad AV1 frame size");
  info.width = width;
  info.height = height;
  info.profile = av1_profile_name(profile);
  // seq_level_idx: level 2.0 + idx / 4 major, idx % 4 minor (31 means "max parameters").
  if (level_idx < 24) info.level = (2 + level_idx / 4) * 10 + level_idx % 4;
  return info;
}

// The first sequence header OBU among OBUs in the low-overhead format (each with a size field, as
// av1C's configOBUs and enhanced RTMP's temporal units carry them); nullopt when there is none.
std::optional<VideoInfo> find_av1_sequence_header(ByteView obus) {
  ByteReader r(obus);
  while (r.remaining() > 0) {
    const std::uint8_t header = r.u8();
    const int type = header >> 3 & 0x0f;
    if (header & 0x04) r.skip(1);  // obu_extension_flag: temporal and spatial ids
    if (!(header & 0x02)) throw ParseError("AV1 OBU without a size field");
    const std::uint64_t size = leb128(r);
    if (size > r.remaining()) throw ParseError("AV1 OBU past the end");
    const ByteView payload = r.bytes(static_cast<std::size_t>(size));
    if (type == kObuSequenceHeader) return parse_av1_sequence_header(payload);
  }
  return std::nullopt;
}

// ---- VP9 (VP9 bitstream spec 6.2; VP-codec-ISOBMFF vpcC) ----------------------------------------

VideoInfo parse_vp9_key_frame(ByteView frame) {
  BitReader r(frame);
  if (r.bits(2) != 2) throw ParseError("not a VP9 frame");
  const int low = static_cast<int>(r.bit());
  const int profile = static_cast<int>(r.bit()) << 1 | low;
  if (profile == 3) r.skip(1);
  if (r.bit()) throw ParseError("VP9 show_existing_frame");
  if (r.bit() != 0) throw ParseError("not a VP9 key frame");
  r.skip(2);  // show_frame, error_resilient_mode
  if (r.bits(24) != 0x498342) throw ParseError("bad VP9 sync code");
  if (profile >= 2) r.skip(1);  // ten_or_twelve_bit
  const int color_space = static_cast<int>(r.bits(3));
  if (color_space != 7) {  // not CS_RGB
    r.skip(1);             // color_range
    if (profile == 1 || profile == 3) r.skip(3);
  } else if (profile == 1 || profile == 3) {
    r.skip(1);
  }
  VideoInfo info;
  info.codec = Codec::vp9;
  info.width = static_cast<int>(r.bits(16)) + 1;
  info.height = static_cast<int>(r.bits(16)) + 1;
  info.profile = "Profile " + std::to_string(profile);
  return info;
}

// vpcC as the box payload (version 1 and flags first, as ffmpeg sends it) or the bare record:
// [profile:8][level:8][bitDepth:4][chromaSubsampling:3][fullRange:1]...
Vp9Format read_vpcc(ByteView record) {
  ByteReader r(record);
  if (record.size() >= 12 && record[0] == 1 && record[1] == 0 && record[2] == 0 && record[3] == 0) r.skip(4);
  Vp9Format f;
  f.profile = r.u8();
  f.level = r.u8();  // already ten times the level: 31 is level 3.1
  const std::uint8_t depth_chroma = r.u8();
  f.bit_depth = depth_chroma >> 4;
  f.chroma_subsampling = depth_chroma >> 1 & 0x07;
  return f;
}

VideoInfo parse_vpcc(ByteView record) {
  const Vp9Format f = read_vpcc(record);
  VideoInfo info;
  info.codec = Codec::vp9;
  info.profile = "Profile " + std::to_string(f.profile);
  info.level = f.level;
  return info;
}

// ---- Audio -----------------------------------------------------------------------------------

// "fLaC", then the STREAMINFO metadata block (with its 4-byte block header, or without it).
AudioInfo parse_flac_streaminfo(ByteView header) {
  ByteReader r(header);
  if (r.string(4) != "fLaC") throw ParseError("bad FLAC header");
  if (r.remaining() >= 38) r.skip(4);  // METADATA_BLOCK_HEADER before the 34-byte STREAMINFO
  r.skip(10);                          // block sizes, frame sizes
  BitReader b(r.bytes(3));
  AudioInfo info;
  info.codec = Codec::flac;
  info.sample_rate = static_cast<int>(b.bits(20));
  info.channels = static_cast<int>(b.bits(3)) + 1;
  if (info.sample_rate <= 0) throw ParseError("bad FLAC sample rate");
  return info;
}

// AC-3 (A/52 5.4.1) and E-AC-3 (A/52 E.1.2) sync frame headers: rate and channel layout.
AudioInfo parse_ac3_header(ByteView frame) {
  static constexpr std::array<int, 8> kChannels = {2, 1, 2, 3, 3, 4, 4, 5};  // by acmod
  static constexpr std::array<int, 3> kRates = {48000, 44100, 32000};
  BitReader r(frame);
  if (r.bits(16) != 0x0b77) throw ParseError("no AC-3 sync word");
  // bsid sits at the same place in both: after 24 bits of E-AC-3 fields or 24 of AC-3's.
  if (frame.size() < 6) throw ParseError("truncated AC-3 header");
  const int bsid = frame[5] >> 3;
  AudioInfo info;
  int acmod = 0;
  bool lfe = false;
  if (bsid <= 10) {
    info.codec = Codec::ac3;
    r.skip(16);  // crc1
    const int fscod = static_cast<int>(r.bits(2));
    if (fscod == 3) throw ParseError("reserved AC-3 rate");
    info.sample_rate = kRates[static_cast<std::size_t>(fscod)];
    r.skip(6 + 5 + 3);  // frmsizecod, bsid, bsmod
    acmod = static_cast<int>(r.bits(3));
    if ((acmod & 1) && acmod != 1) r.skip(2);  // cmixlev
    if (acmod & 4) r.skip(2);                  // surmixlev
    if (acmod == 2) r.skip(2);                 // dsurmod
    lfe = r.bit();
  } else if (bsid <= 16) {
    info.codec = Codec::eac3;
    r.skip(2 + 3 + 11);  // strmtyp, substreamid, frmsiz
    const int fscod = static_cast<int>(r.bits(2));
    if (fscod == 3) {
      const int fscod2 = static_cast<int>(r.bits(2));
      if (fscod2 == 3) throw ParseError("reserved E-AC-3 rate");
      info.sample_rate = kRates[static_cast<std::size_t>(fscod2)] / 2;
    } else {
      info.sample_rate = kRates[static_cast<std::size_t>(fscod)];
      r.skip(2);  // numblkscod
    }
    acmod = static_cast<int>(r.bits(3));
    lfe = r.bit();
  } else {
    throw ParseError("unknown AC-3 bsid");
  }
  info.channels = kChannels[static_cast<std::size_t>(acmod)] + (lfe ? 1 : 0);
  return info;
}

// MPEG audio frame header: version, rate, channel mode.
AudioInfo parse_mp3_header(ByteView frame) {
  static constexpr std::array<int, 3> kRates = {44100, 48000, 32000};
  BitReader r(frame);
  if (r.bits(11) != 0x7ff) throw ParseError("no MPEG audio sync");
  const int version = static_cast<int>(r.bits(2));  // 0: 2.5, 2: 2, 3: 1
  if (version == 1) throw ParseError("reserved MPEG audio version");
  r.skip(2 + 1 + 4);  // layer, protection, bitrate
  const int rate_index = static_cast<int>(r.bits(2));
  if (rate_index == 3) throw ParseError("reserved MPEG audio rate");
  r.skip(2);  // padding, private
  const int mode = static_cast<int>(r.bits(2));
  AudioInfo info;
  info.codec = Codec::mp3;
  info.sample_rate = kRates[static_cast<std::size_t>(rate_index)] >> (version == 3 ? 0 : version == 2 ? 1 : 2);
  info.channels = mode == 3 ? 1 : 2;
  return info;
}

}  // namespace

std::optional<VideoInfo> parse_av1_config(ByteView av1c) {
  return or_nullopt([&]() -> std::optional<VideoInfo> {
    // [marker:1][version:7] [seq_profile:3][seq_level_idx_0:5] [flags] [presentation delay], OBUs.
    ByteReader r(av1c);
    if ((r.u8() & 0x80) == 0) throw ParseError("bad av1C marker");
    const std::uint8_t profile_level = r.u8();
    r.skip(2);
    if (auto info = find_av1_sequence_header(r.rest())) return info;
    VideoInfo info;  // no configOBUs: the size comes with the first key frame
    info.codec = Codec::av1;
    info.profile = av1_profile_name(profile_level >> 5);
    const int idx = profile_level & 0x1f;
    if (idx < 24) info.level = (2 + idx / 4) * 10 + idx % 4;
    return info;
  });
}

std::optional<VideoInfo> parse_vp9_config(ByteView vpcc) {
  return or_nullopt([&] { return parse_vpcc(vpcc); });
}

Vp9Format parse_vp9_format(ByteView vpcc) {
  return or_nullopt([&] { return read_vpcc(vpcc); }).value_or(Vp9Format{});
}

std::optional<VideoInfo> parse_key_frame_info(Codec codec, ByteView frame) {
  return or_nullopt([&]() -> std::optional<VideoInfo> {
    if (codec == Codec::av1) return find_av1_sequence_header(frame);
    if (codec == Codec::vp9) return parse_vp9_key_frame(frame);
    return std::nullopt;
  });
}

std::optional<AudioInfo> parse_flac_config(ByteView header) {
  return or_nullopt([&] { return parse_flac_streaminfo(header); });
}

std::optional<AudioInfo> parse_audio_frame_info(Codec codec, ByteView frame) {
  return or_nullopt([&]() -> std::optional<AudioInfo> {
    if (codec == Codec::ac3 || codec == Codec::eac3) return parse_ac3_header(frame);
    if (codec == Codec::mp3) return parse_mp3_header(frame);
    return std::nullopt;
  });
}

}  // namespace liveorigin::media
