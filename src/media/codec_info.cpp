#include "liveorigin/media/codec_info.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <utility>
#include <vector>

#include "liveorigin/media/tag.hpp"
#include "bit_reader.hpp"

namespace liveorigin::media {

namespace {

// NAL payload → RBSP: drops the 03 of every 00 00 03 sequence.
Bytes unescape_rbsp(ByteView nal) {
  Bytes out;
  out.reserve(nal.size());
  int zeros = 0;
  for (auto b : nal) {
    if (zeros >= 2 && b == 3) { zeros = 0; continue; }
    zeros = b == 0 ? zeros + 1 : 0;
    out.push_back(b);
  }
  return out;
}

// Values larger than this cannot be a real picture; they mean a corrupt or hostile SPS.
constexpr std::int64_t kMaxDimension = 1 << 16;

struct Crop {
  std::int64_t left = 0, right = 0, top = 0, bottom = 0;
};

// Applies a crop in units, rejecting windows that are bigger than the picture.
bool apply_crop(VideoInfo& info, std::int64_t w, std::int64_t h, const Crop& c, int unit_x,
                int unit_y) {
  const std::int64_t cw = w - (c.left + c.right) * unit_x;
  const std::int64_t ch = h - (c.top + c.bottom) * unit_y;
  if (w <= 0 || h <= 0 || w > kMaxDimension || h > kMaxDimension) return false;
  if (cw <= 0 || ch <= 0) return false;
  info.width = static_cast<int>(cw);
  info.height = static_cast<int>(ch);
  return true;
}

// ---- H.264 -----------------------------------------------------------------------------------

const char* avc_profile_name(int profile_idc, int constraints) {
  switch (profile_idc) {
    case 66: return constraints & 0x40 ? "Constrained Baseline" : "Baseline";
    case 77: return "Main";
    case 88: return "Extended";
    case 100: return "High";
    case 110: return constraints & 0x10 ? "High 10 Intra" : "High 10";
    case 122: return constraints & 0x10 ? "High 4:2:2 Intra" : "High 4:2:2";
    case 244: return constraints & 0x10 ? "High 4:4:4 Intra" : "High 4:4:4 Predictive";
    case 44: return "CAVLC 4:4:4";
    default: return "";
  }
}

// Profiles whose SPS carries chroma format, bit depths and scaling lists (H.264 7.3.2.1.1).
bool avc_has_chroma_info(int profile_idc) {
  switch (profile_idc) {
    case 100: case 110: case 122: case 244: case 44: case 83: case 86: case 118: case 128:
    case 138: case 139: case 134: case 135:
      return true;
    default:
      return false;
  }
}

// scaling_list() (H.264 7.3.2.1.1.1): only the delta codes are in the bitstream; read to skip.
void skip_avc_scaling_list(BitReader& r, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size; ++j) {
    if (next != 0) {
      const std::int64_t delta = r.se();
      if (delta < -128 || delta > 127) throw ParseError("bad delta_scale in an SPS scaling list");
      next = static_cast<int>((last + delta + 256) % 256);
    }
    last = next == 0 ? last : next;
  }
}

// seq_parameter_set_data() from a complete SPS NAL unit (1-byte header included).
VideoInfo parse_avc_sps(ByteView nal) {
  if (nal.size() < 4 || (nal[0] & 0x1f) != 7) throw ParseError("not an H.264 SPS");
  const Bytes rbsp = unescape_rbsp(nal.subspan(1));
  BitReader r(rbsp);
  const int profile_idc = static_cast<int>(r.bits(8));
  const int constraints = static_cast<int>(r.bits(8));
  const int level_idc = static_cast<int>(r.bits(8));
  r.ue();  // seq_parameter_set_id

  std::uint32_t chroma_format_idc = 1;  // 4:2:0 when the profile does not say
  bool separate_colour_plane = false;
  if (avc_has_chroma_info(profile_idc)) {
    chroma_format_idc = r.ue();
    if (chroma_format_idc > 3) throw ParseError("bad chroma_format_idc");
    if (chroma_format_idc == 3) separate_colour_plane = r.bit();
    r.ue();      // bit_depth_luma_minus8
    r.ue();      // bit_depth_chroma_minus8
    r.bit();     // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {  // seq_scaling_matrix_present_flag
      const int lists = chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i) {
        if (r.bit()) skip_avc_scaling_list(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.ue();  // log2_max_frame_num_minus4
  const std::uint32_t poc_type = r.ue();
  if (poc_type == 0) {
    r.ue();  // log2_max_pic_order_cnt_lsb_minus4
  } else if (poc_type == 1) {
    r.bit();  // delta_pic_order_always_zero_flag
    r.se();   // offset_for_non_ref_pic
    r.se();   // offset_for_top_to_bottom_field
    const std::uint32_t cycle = r.ue();
    if (cycle > 255) throw ParseError("bad num_ref_frames_in_pic_order_cnt_cycle");
    for (std::uint32_t i = 0; i < cycle; ++i) r.se();
  }
  r.ue();   // max_num_ref_frames
  r.bit();  // gaps_in_frame_num_value_allowed_flag
  const std::int64_t width_mbs = std::int64_t{r.ue()} + 1;
  const std::int64_t height_map_units = std::int64_t{r.ue()} + 1;
  const bool frame_mbs_only = r.bit();
  if (!frame_mbs_only) r.bit();  // mb_adaptive_frame_field_flag
  r.bit();                       // direct_8x8_inference_flag
  Crop crop;
  if (r.bit()) crop = {r.ue(), r.ue(), r.ue(), r.ue()};

  // Crop units (H.264 7.4.2.1.1): chroma samples, and field pairs when frames can be coded as fields.
  const int field_factor = frame_mbs_only ? 1 : 2;
  int unit_x = 1, unit_y = field_factor;
  if (chroma_format_idc != 0 && !separate_colour_plane) {
    unit_x = chroma_format_idc == 3 ? 1 : 2;
    unit_y = (chroma_format_idc == 1 ? 2 : 1) * field_factor;
  }
  VideoInfo info;
  info.codec = Codec::h264;
  info.profile = avc_profile_name(profile_idc, constraints);
  info.level = level_idc;
  if (!apply_crop(info, width_mbs * 16, height_map_units * 16 * field_factor, crop, unit_x, unit_y))
    throw ParseError("bad H.264 picture size");
  return info;
}

// The NAL units of one kind in an AVCDecoderConfigurationRecord (ISO 14496-15 5.3.3.1).
struct AvcConfig {
  std::vector<ByteView> sps, pps;
};

AvcConfig read_avc_config(ByteView record) {
  ByteReader r(record);
  if (r.u8() != 1) throw ParseError("bad AVCDecoderConfigurationRecord version");
  r.skip(3);  // profile, compatibility, level: the SPS says the same, with more detail
  r.u8();     // lengthSizeMinusOne
  AvcConfig config;
  const int num_sps = r.u8() & 0x1f;
  for (int i = 0; i < num_sps; ++i) config.sps.push_back(r.bytes(r.u16be()));
  const int num_pps = r.u8();
  for (int i = 0; i < num_pps; ++i) config.pps.push_back(r.bytes(r.u16be()));
  // High-profile records may carry more (chroma format, SPS extensions): not needed here.
  return config;
}

// ---- H.265 -----------------------------------------------------------------------------------

const char* hevc_profile_name(int profile_idc) {
  switch (profile_idc) {
    case 1: return "Main";
    case 2: return "Main 10";
    case 3: return "Main Still Picture";
    case 4: return "Rext";
    case 9: return "SCC";
    default: return "";
  }
}

// profile_tier_level(1, max_sub_layers_minus1) (H.265 7.3.3); returns the general profile and level.
std::pair<int, int> read_hevc_profile_tier_level(BitReader& r, int max_sub_layers_minus1) {
  r.skip(3);  // general_profile_space, general_tier_flag
  const int profile_idc = static_cast<int>(r.bits(5));
  r.skip(32 + 4 + 43 + 1);  // compatibility flags, source flags, constraint flags, inbld/reserved
  const int level_idc = static_cast<int>(r.bits(8));
  std::array<bool, 8> profile_present{}, level_present{};
  for (int i = 0; i < max_sub_layers_minus1; ++i) {
    profile_present[i] = r.bit();
    level_present[i] = r.bit();
  }
  if (max_sub_layers_minus1 > 0) {
    for (int i = max_sub_layers_minus1; i < 8; ++i) r.skip(2);  // reserved_zero_2bits
  }
  for (int i = 0; i < max_sub_layers_minus1; ++i) {
    if (profile_present[i]) r.skip(88);
    if (level_present[i]) r.skip(8);
  }
  return {profile_idc, level_idc};
}

// seq_parameter_set_rbsp() up to the conformance window (H.265 7.3.2.2), from a complete NAL unit.
VideoInfo parse_hevc_sps(ByteView nal) {
  if (nal.size() < 3 || (nal[0] >> 1 & 0x3f) != 33) throw ParseError("not an H.265 SPS");
  const Bytes rbsp = unescape_rbsp(nal.subspan(2));
  BitReader r(rbsp);
  r.skip(4);  // sps_video_parameter_set_id
  const int max_sub_layers_minus1 = static_cast<int>(r.bits(3));
  if (max_sub_layers_minus1 > 6) throw ParseError("bad sps_max_sub_layers_minus1");
  r.skip(1);  // sps_temporal_id_nesting_flag
  const auto [profile_idc, level_idc] = read_hevc_profile_tier_level(r, max_sub_layers_minus1);
  r.ue();  // sps_seq_parameter_set_id
  const std::uint32_t chroma_format_idc = r.ue();
  if (chroma_format_idc > 3) throw ParseError("bad chroma_format_idc");
  bool separate_colour_plane = false;
  if (chroma_format_idc == 3) separate_colour_plane = r.bit();
  const std::int64_t width = r.ue();
  const std::int64_t height = r.ue();
  Crop crop;
  if (r.bit()) crop = {r.ue(), r.ue(), r.ue(), r.ue()};

  // Conformance window offsets are in chroma samples (H.265 7.4.3.2.1, SubWidthC/SubHeightC).
  int unit_x = 1, unit_y = 1;
  if (!separate_colour_plane) {
    unit_x = chroma_format_idc == 1 || chroma_format_idc == 2 ? 2 : 1;
    unit_y = chroma_format_idc == 1 ? 2 : 1;
  }
  VideoInfo info;
  info.codec = Codec::hevc;
  info.profile = hevc_profile_name(profile_idc);
  info.level = level_idc / 3;  // general_level_idc is 30 × level; keep the H.264 scale (10 ×)
  if (!apply_crop(info, width, height, crop, unit_x, unit_y))
    throw ParseError("bad H.265 picture size");
  return info;
}

// The first SPS in an HEVCDecoderConfigurationRecord (ISO 14496-15 8.3.3.1).
ByteView find_hevc_sps(ByteView record) {
  ByteReader r(record);
  if (r.u8() != 1) throw ParseError("bad HEVCDecoderConfigurationRecord version");
  r.skip(21);  // profile/tier/level copy, segmentation, parallelism, formats, frame rate, sizes
  const int num_arrays = r.u8();
  for (int i = 0; i < num_arrays; ++i) {
    const int nal_type = r.u8() & 0x3f;
    const int count = r.u16be();
    for (int j = 0; j < count; ++j) {
      const ByteView nal = r.bytes(r.u16be());
      if (nal_type == 33) return nal;
    }
  }
  throw ParseError("no SPS in HEVCDecoderConfigurationRecord");
}

// ---- AAC -------------------------------------------------------------------------------------

constexpr std::array<int, 13> kAacSampleRates = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                                 22050, 16000, 12000, 11025, 8000,  7350};

int read_aac_object_type(BitReader& r) {
  const int type = static_cast<int>(r.bits(5));
  return type == 31 ? 32 + static_cast<int>(r.bits(6)) : type;
}

int read_aac_sample_rate(BitReader& r) {
  const std::uint32_t index = r.bits(4);
  if (index == 15) return static_cast<int>(r.bits(24));
  if (index >= kAacSampleRates.size()) throw ParseError("bad AAC sampling frequency index");
  return kAacSampleRates[index];
}

int aac_channels(int channel_config) {
  // ISO 14496-3 Table 1.19; 0 means a program config element that we do not decode.
  static constexpr std::array<int, 15> kChannels = {0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8};
  return channel_config < static_cast<int>(kChannels.size()) ? kChannels[channel_config] : 0;
}

// The object types whose config starts with GASpecificConfig (ISO 14496-3 1.6.2.1).
bool aac_is_general_audio(int type) {
  switch (type) {
    case 1: case 2: case 3: case 4: case 6: case 7: case 17: case 19: case 20: case 21: case 22:
    case 23:
      return true;
    default:
      return false;
  }
}

AudioInfo parse_asc(ByteView asc) {
  BitReader r(asc);
  int object_type = read_aac_object_type(r);
  int sample_rate = read_aac_sample_rate(r);
  const int channel_config = static_cast<int>(r.bits(4));
  bool sbr = false, ps = false;
  int ext_rate = 0;
  if (object_type == 5 || object_type == 29) {  // explicit hierarchical SBR (and PS) signalling
    sbr = true;
    ps = object_type == 29;
    ext_rate = read_aac_sample_rate(r);
    object_type = read_aac_object_type(r);
    if (object_type == 22) r.skip(4);  // extensionChannelConfiguration
  }
  // Backward-compatible signalling: a sync extension after GASpecificConfig. Only looked for when
  // the channel layout is known (a PCE would have to be decoded to find where it ends).
  if (!sbr && aac_is_general_audio(object_type) && channel_config != 0) {
    r.skip(1);  // frameLengthFlag
    if (r.bit()) r.skip(14);  // dependsOnCoreCoder → coreCoderDelay
    const bool extension = r.bit();
    if (object_type == 6 || object_type == 20) r.skip(3);  // layerNr
    if (extension) {
      if (object_type == 22) r.skip(16);  // numOfSubFrame, layer_length
      if (object_type == 17 || object_type == 19 || object_type == 20 || object_type == 23)
        r.skip(3);  // resilience flags
      r.skip(1);  // extensionFlag3
    }
    if (object_type >= 17 && object_type <= 27) r.skip(2);  // epConfig
    if (r.remaining() >= 16 && r.bits(11) == 0x2b7 && read_aac_object_type(r) == 5) {
      sbr = r.bit();
      if (sbr) {
        ext_rate = read_aac_sample_rate(r);
        if (r.remaining() >= 12 && r.bits(11) == 0x548) ps = r.bit();
      }
    }
  }
  AudioInfo info;
  info.codec = Codec::aac;
  info.aac_object_type = ps ? 29 : sbr ? 5 : object_type;
  info.sample_rate = sbr && ext_rate ? ext_rate : sample_rate;
  info.channels = aac_channels(channel_config);
  if (ps && info.channels == 1) info.channels = 2;  // parametric stereo turns mono into stereo
  if (info.sample_rate <= 0) throw ParseError("bad AAC sample rate");
  return info;
}

// OpusHead (RFC 7845 5.1): Opus always decodes at 48 kHz whatever the input rate was.
AudioInfo parse_opus_head(ByteView head) {
  ByteReader r(head);
  if (r.string(8) != "OpusHead") throw ParseError("bad OpusHead");
  r.u8();  // version
  AudioInfo info;
  info.codec = Codec::opus;
  info.channels = r.u8();
  info.sample_rate = 48000;
  return info;
}

// Legacy FLV sound flags: [format:4][rate:2][size:1][type:1]. Some formats fix the rate.
AudioInfo legacy_audio_info(std::uint8_t flags, Codec codec) {
  static constexpr std::array<int, 4> kRates = {5512, 11025, 22050, 44100};
  AudioInfo info;
  info.codec = codec;
  info.sample_rate = kRates[flags >> 2 & 3];
  info.channels = flags & 1 ? 2 : 1;
  switch (flags >> 4) {
    case 4: info.sample_rate = 16000; info.channels = 1; break;   // Nellymoser 16 kHz mono
    case 5: info.sample_rate = 8000; info.channels = 1; break;    // Nellymoser 8 kHz mono
    case 7: case 8: info.sample_rate = 8000; break;               // G.711 A-law / mu-law
    case 11: info.sample_rate = 16000; info.channels = 1; break;  // Speex
    case 14: info.sample_rate = 8000; break;                      // MP3 8 kHz
    default: break;
  }
  return info;
}

}  // namespace

std::optional<VideoInfo> parse_avc_decoder_config(ByteView record) {
  return or_nullopt([&]() -> std::optional<VideoInfo> {
    const AvcConfig config = read_avc_config(record);
    if (config.sps.empty()) return std::nullopt;
    return parse_avc_sps(config.sps.front());
  });
}

std::optional<VideoInfo> parse_hevc_decoder_config(ByteView record) {
  return or_nullopt([&] { return parse_hevc_sps(find_hevc_sps(record)); });
}

std::optional<AudioInfo> parse_audio_specific_config(ByteView asc) {
  return or_nullopt([&] { return parse_asc(asc); });
}

namespace {
template <typename Tag>
TagTrack first_track(const Tag& tag) {
  TagTrack t;
  t.track_id = tag.track_id;
  t.fourcc = tag.fourcc;
  t.codec = tag.codec;
  t.packet = tag.packet;
  t.payload = tag.payload;
  return t;
}
}  // namespace

std::optional<VideoInfo> video_track_info(const TagTrack& t) {
  if (t.packet == TagPacket::coded_frames) return parse_key_frame_info(t.codec, t.payload);
  if (t.packet != TagPacket::sequence_start) return std::nullopt;
  switch (t.codec) {
    case Codec::h264: return parse_avc_decoder_config(t.payload);
    case Codec::hevc: return parse_hevc_decoder_config(t.payload);
    case Codec::av1:
    case Codec::vp9: {
      auto info = t.codec == Codec::av1 ? parse_av1_config(t.payload) : parse_vp9_config(t.payload);
      if (!info) info.emplace().codec = t.codec;  // the codec at least; a key frame gives the size
      return info;
    }
    default: return std::nullopt;
  }
}

std::optional<AudioInfo> audio_track_info(const TagTrack& t, std::uint8_t legacy_sound_flags) {
  if (t.fourcc == 0 && t.codec != Codec::aac) return legacy_audio_info(legacy_sound_flags, t.codec);
  if (t.packet == TagPacket::coded_frames) return parse_audio_frame_info(t.codec, t.payload);
  if (t.packet != TagPacket::sequence_start) return std::nullopt;
  return or_nullopt([&]() -> std::optional<AudioInfo> {
    switch (t.codec) {
      case Codec::aac: return parse_asc(t.payload);
      case Codec::opus: return parse_opus_head(t.payload);
      case Codec::flac: return parse_flac_config(t.payload);
      default: return std::nullopt;
    }
  });
}

std::optional<VideoInfo> parse_video_sequence_header(const Packet& p) {
  if (!p.is_video() || !p.sequence_header || p.flv_tag.size() < 15) return std::nullopt;
  const auto tag = parse_video_tag(p.body());
  if (!tag || tag->packet != TagPacket::sequence_start) return std::nullopt;
  return video_track_info(first_track(*tag));
}

std::optional<AudioInfo> parse_audio_sequence_header(const Packet& p) {
  if (!p.is_audio() || p.flv_tag.size() < 15) return std::nullopt;
  const auto tag = parse_audio_tag(p.body());
  if (!tag) return std::nullopt;
  if ((tag->codec == Codec::aac || tag->codec == Codec::opus || tag->codec == Codec::flac) &&
      !p.sequence_header) {
    return std::nullopt;  // their frames carry no config
  }
  return audio_track_info(first_track(*tag), tag->sound_flags);
}

Bytes avc_config_to_annexb(ByteView avc_decoder_config) {
  static constexpr std::uint8_t kStartCode[] = {0, 0, 0, 1};
  const AvcConfig config = read_avc_config(avc_decoder_config);
  Bytes out;
  ByteWriter w(out);
  for (const auto* list : {&config.sps, &config.pps}) {
    for (ByteView nal : *list) {
      w.bytes(kStartCode);
      w.bytes(nal);
    }
  }
  return out;
}

Bytes aac_adts_header(const AudioInfo& info, std::size_t payload_size) {
  const std::size_t frame_length = payload_size + 7;
  if (frame_length > 0x1fff) throw std::length_error("AAC frame too large for ADTS");
  // HE-AAC goes out as its AAC LC core at half the rate (implicit SBR signalling); PS as mono core.
  const bool sbr = info.aac_object_type == 5 || info.aac_object_type == 29;
  const int object_type = sbr || info.aac_object_type < 1 || info.aac_object_type > 4
                              ? 2 : info.aac_object_type;
  const int rate = sbr ? info.sample_rate / 2 : info.sample_rate;
  int rate_index = 0;  // nearest table rate: ADTS cannot carry an explicit frequency
  for (int i = 1; i < static_cast<int>(kAacSampleRates.size()); ++i) {
    if (std::abs(kAacSampleRates[i] - rate) < std::abs(kAacSampleRates[rate_index] - rate))
      rate_index = i;
  }
  int channels = info.aac_object_type == 29 ? 1 : info.channels;
  const int channel_config = channels >= 1 && channels <= 6 ? channels : channels == 8 ? 7 : 0;

  Bytes out(7);
  out[0] = 0xff;
  out[1] = 0xf1;  // sync, MPEG-4, layer 0, no CRC
  out[2] =
      static_cast<std::uint8_t>((object_type - 1) << 6 | rate_index << 2 | channel_config >> 2);
  out[3] = static_cast<std::uint8_t>((channel_config & 3) << 6 | frame_length >> 11);
  out[4] = static_cast<std::uint8_t>(frame_length >> 3);
  out[5] = static_cast<std::uint8_t>((frame_length & 7) << 5 | 0x1f);  // buffer fullness 0x7ff: VBR
  out[6] = 0xfc;                                                       // + one raw data block
  return out;
}

}  // namespace liveorigin::media
