#include "liveorigin/hls/elementary_stream.hpp"

#include <spdlog/spdlog.h>

#include "liveorigin/media/tag.hpp"

namespace liveorigin::hls {

namespace {

constexpr std::uint8_t kStartCode[] = {0, 0, 0, 1};
constexpr std::uint8_t kH264Aud[] = {0, 0, 0, 1, 0x09, 0xf0};
constexpr std::uint8_t kHevcAud[] = {0, 0, 0, 1, 0x46, 0x01, 0x50};

int nal_type(media::Codec codec, std::uint8_t first) {
  return codec == media::Codec::hevc ? (first >> 1) & 0x3f : first & 0x1f;
}
bool is_aud(media::Codec codec, int type) { return codec == media::Codec::hevc ? type == 35 : type == 9; }
bool is_parameter_set(media::Codec codec, int type) {
  return codec == media::Codec::hevc ? type >= 32 && type <= 34 : type == 7 || type == 8;
}

}  // namespace

Bytes hevc_config_to_annexb(ByteView record) {
  ByteReader r(record);
  r.skip(22);
  const int arrays = r.u8();
  Bytes out;
  ByteWriter w(out);
  for (int i = 0; i < arrays; ++i) {
    r.u8();  // array_completeness, NAL unit type
    const int count = r.u16be();
    for (int k = 0; k < count; ++k) {
      const auto nal = r.bytes(r.u16be());
      w.bytes(kStartCode);
      w.bytes(nal);
    }
  }
  return out;
}

void ElementaryStreams::warn_once(bool& flag, const std::string& what) {
  if (flag) return;
  flag = true;
  spdlog::warn("{}: hls: {}", context_, what);
}

std::optional<AccessUnit> ElementaryStreams::convert(const media::Packet& packet) {
  if (packet.track_id != 0) return std::nullopt;  // multitrack: MPEG-TS here carries the default track
  try {
    if (packet.is_video()) return convert_video(packet);
    if (packet.is_audio()) return convert_audio(packet);
  } catch (const std::exception& e) {  // ParseError, length_error: a malformed payload
    warn_once(warned_malformed_, std::string("malformed media payload skipped (") + e.what() +
                                     "); further ones are skipped silently");
  }
  return std::nullopt;
}

std::optional<AccessUnit> ElementaryStreams::convert_video(const media::Packet& packet) {
  if (packet.codec != media::Codec::h264 && packet.codec != media::Codec::hevc) {
    warn_once(warned_video_codec_, std::string("video codec ") + media::codec_name(packet.codec) +
                                       " cannot go into HLS (MPEG-TS): video skipped");
    return std::nullopt;
  }
  // A tag cut inside its header, sequence ends, metadata and commands carry no frame.
  const auto tag = media::parse_video_tag(packet.body());
  if (!tag || (tag->packet != media::TagPacket::sequence_start &&
               tag->packet != media::TagPacket::coded_frames))
    return std::nullopt;
  const ByteView payload = tag->payload;
  if (tag->packet == media::TagPacket::sequence_start) {
    if (packet.codec == media::Codec::h264) {
      parameter_sets_ = media::avc_config_to_annexb(payload);
      if (payload.size() < 5) throw ParseError("short AVC decoder configuration");
      nal_length_size_ = (payload[4] & 3) + 1;
    } else {
      parameter_sets_ = hevc_config_to_annexb(payload);
      if (payload.size() < 22) throw ParseError("short HEVC decoder configuration");
      nal_length_size_ = (payload[21] & 3) + 1;
    }
    video_codec_ = packet.codec;
    return std::nullopt;
  }
  if (video_codec_ != packet.codec) return std::nullopt;  // no (matching) sequence header yet

  // First pass: find NAL units and whether the frame repeats its parameter sets itself.
  bool has_parameter_sets = false;
  {
    ByteReader r(payload);
    while (!r.empty()) {
      std::uint32_t size = 0;
      for (int i = 0; i < nal_length_size_; ++i) size = size << 8 | r.u8();
      const auto nal = r.bytes(size);
      if (!nal.empty() && is_parameter_set(video_codec_, nal_type(video_codec_, nal[0])))
        has_parameter_sets = true;
    }
  }
  Bytes& out = video_buffer_;
  out.clear();
  ByteWriter w(out);
  if (video_codec_ == media::Codec::hevc) w.bytes(kHevcAud);
  else w.bytes(kH264Aud);
  if (packet.keyframe && !has_parameter_sets) w.bytes(parameter_sets_);
  ByteReader r(payload);
  while (!r.empty()) {
    std::uint32_t size = 0;
    for (int i = 0; i < nal_length_size_; ++i) size = size << 8 | r.u8();
    const auto nal = r.bytes(size);
    if (nal.empty() || is_aud(video_codec_, nal_type(video_codec_, nal[0]))) continue;
    w.bytes(kStartCode);
    w.bytes(nal);
  }
  return AccessUnit{true, packet.keyframe, packet.timestamp, packet.composition_time, out};
}

std::optional<AccessUnit> ElementaryStreams::convert_audio(const media::Packet& packet) {
  const auto tag = media::parse_audio_tag(packet.body());
  const bool frame = tag && tag->packet == media::TagPacket::coded_frames && !tag->payload.empty();
  if (packet.codec == media::Codec::aac) {
    if (packet.sequence_header) {
      aac_ = media::parse_audio_sequence_header(packet);
      if (aac_) audio_codec_ = media::Codec::aac;
      return std::nullopt;
    }
    if (!aac_ || !frame) return std::nullopt;
    audio_buffer_ = media::aac_adts_header(*aac_, tag->payload.size());
    ByteWriter(audio_buffer_).bytes(tag->payload);
    return AccessUnit{false, false, packet.timestamp, 0, audio_buffer_};
  }
  if (packet.codec == media::Codec::mp3 || packet.codec == media::Codec::ac3 || packet.codec == media::Codec::eac3) {
    // Frames that describe themselves: into the PES as they are.
    if (!frame) return std::nullopt;
    audio_codec_ = packet.codec;
    return AccessUnit{false, false, packet.timestamp, 0, tag->payload};
  }
  warn_once(warned_audio_codec_, std::string("audio codec ") + media::codec_name(packet.codec) +
                                     " cannot go into HLS (MPEG-TS): audio skipped");
  return std::nullopt;
}

}  // namespace liveorigin::hls
