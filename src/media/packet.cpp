#include "liveorigin/media/packet.hpp"

#include <cstring>

namespace liveorigin::media {

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::none: return "none";
    case Codec::h264: return "h264";
    case Codec::hevc: return "hevc";
    case Codec::av1: return "av1";
    case Codec::vp9: return "vp9";
    case Codec::aac: return "aac";
    case Codec::mp3: return "mp3";
    case Codec::opus: return "opus";
    case Codec::other: return "other";
  }
  return "other";
}

namespace {

Codec fourcc_codec(ByteView b) {
  if (b.size() < 4) return Codec::other;
  if (std::memcmp(b.data(), "hvc1", 4) == 0) return Codec::hevc;
  if (std::memcmp(b.data(), "av01", 4) == 0) return Codec::av1;
  if (std::memcmp(b.data(), "vp09", 4) == 0) return Codec::vp9;
  if (std::memcmp(b.data(), "avc1", 4) == 0) return Codec::h264;
  if (std::memcmp(b.data(), "Opus", 4) == 0) return Codec::opus;
  if (std::memcmp(b.data(), "mp4a", 4) == 0) return Codec::aac;
  return Codec::other;
}

void classify_video(Packet& p, ByteView body) {
  if (body.empty()) { p.codec = Codec::other; return; }
  const std::uint8_t first = body[0];
  if (first & 0x80) {
    // Enhanced RTMP: [IsExHeader:1][FrameType:3][PacketType:4][FourCC:32]...
    const int frame_type = (first >> 4) & 0x07;
    const int packet_type = first & 0x0f;
    p.codec = fourcc_codec(body.subspan(1));
    p.keyframe = frame_type == 1;
    p.sequence_header = packet_type == 0;  // PacketTypeSequenceStart
    // PacketTypeCodedFrames (1) of AVC and HEVC (and VVC) carries a 24-bit composition time after
    // the FourCC; AV1's and VP9's do not. A tag cut inside it keeps composition time 0.
    const bool has_composition_time = p.codec == Codec::h264 || p.codec == Codec::hevc ||
                                      (body.size() >= 5 && std::memcmp(body.data() + 1, "vvc1", 4) == 0);
    if (packet_type == 1 && has_composition_time && body.size() >= 8) {
      std::int32_t ct = body[5] << 16 | body[6] << 8 | body[7];
      if (ct & 0x800000) ct -= 0x1000000;
      p.composition_time = ct;
    }
    return;
  }
  // Legacy FLV: [FrameType:4][CodecID:4], then for AVC/HEVC [PacketType:8][CompositionTime:24].
  const int frame_type = first >> 4;
  const int codec_id = first & 0x0f;
  p.keyframe = frame_type == 1;
  p.codec = codec_id == 7 ? Codec::h264 : codec_id == 12 ? Codec::hevc : Codec::other;
  if ((p.codec == Codec::h264 || p.codec == Codec::hevc) && body.size() >= 5) {
    p.sequence_header = body[1] == 0;
    std::int32_t ct = body[2] << 16 | body[3] << 8 | body[4];
    if (ct & 0x800000) ct -= 0x1000000;
    p.composition_time = ct;
  }
}

void classify_audio(Packet& p, ByteView body) {
  if (body.empty()) { p.codec = Codec::other; return; }
  const int format = body[0] >> 4;
  if (format == 9 && body.size() >= 5) {  // enhanced RTMP audio: ExAudioTagHeader with FourCC
    p.codec = fourcc_codec(body.subspan(1));
    p.sequence_header = (body[0] & 0x0f) == 0;
    return;
  }
  p.codec = format == 10 ? Codec::aac : format == 2 ? Codec::mp3 : Codec::other;
  if (p.codec == Codec::aac) p.sequence_header = body.size() >= 2 && body[1] == 0;
}

}  // namespace

bool is_metadata_body(ByteView body) {
  static constexpr char kName[] = "\x02\x00\x0aonMetaData";
  return body.size() >= sizeof kName - 1 && std::memcmp(body.data(), kName, sizeof kName - 1) == 0;
}

PacketPtr make_packet(MediaType type, std::uint32_t timestamp, ByteView body) {
  if (type == MediaType::data && is_metadata_body(body)) timestamp = 0;
  auto p = std::make_shared<Packet>();
  p->type = type;
  p->timestamp = timestamp;
  if (type == MediaType::video) classify_video(*p, body);
  else if (type == MediaType::audio) classify_audio(*p, body);

  // FLV tag: type, 24-bit size, 24-bit timestamp + 8-bit extension, 24-bit stream id (0).
  Bytes& tag = p->flv_tag;
  tag.reserve(body.size() + 15);
  ByteWriter w(tag);
  w.u8(static_cast<std::uint8_t>(type));
  w.u24be(static_cast<std::uint32_t>(body.size()));
  w.u24be(timestamp & 0xffffff);
  w.u8(static_cast<std::uint8_t>(timestamp >> 24));
  w.u24be(0);
  w.bytes(body);
  w.u32be(static_cast<std::uint32_t>(body.size() + 11));
  return p;
}

}  // namespace liveorigin::media
