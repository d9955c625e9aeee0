#include "liveorigin/media/packet.hpp"

#include <cstring>

#include "liveorigin/media/tag.hpp"

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
    case Codec::ac3: return "ac3";
    case Codec::eac3: return "eac3";
    case Codec::flac: return "flac";
    case Codec::other: return "other";
  }
  return "other";
}

namespace {

// An enhanced tag must parse to its end, every track naming a FourCC of the spec; players could not
// read it otherwise. Legacy tags pass as they are (their codec ids are a closed set).
template <typename ForEachTrack>
const char* enhanced_problem(ByteView body, ForEachTrack for_each_track) {
  bool unknown = false;
  const bool whole = for_each_track(body, [&](const TagTrack& t) {
    unknown = unknown || (t.fourcc != 0 && !is_known_fourcc(t.fourcc));
    return true;
  });
  if (!whole) return "cut or malformed enhanced tag (size past the end, reserved packet type)";
  if (unknown) return "unknown FourCC";
  return nullptr;
}

void classify_video(Packet& p, ByteView body) {
  const VideoTag tag = read_video_tag(body);
  if (tag.enhanced) p.drop_reason = enhanced_problem(body, for_each_video_track);
  p.track_config = tag.packet == TagPacket::sequence_start;
  p.codec = tag.codec;
  p.track_id = tag.track_id;
  p.multitrack = tag.multitrack;
  p.keyframe = tag.keyframe && tag.track_id == 0;
  p.sequence_header = tag.packet == TagPacket::sequence_start && tag.track_id == 0;
  p.composition_time = tag.composition_time;
}

void classify_audio(Packet& p, ByteView body) {
  const AudioTag tag = read_audio_tag(body);
  if (tag.enhanced) p.drop_reason = enhanced_problem(body, for_each_audio_track);
  p.track_config = tag.packet == TagPacket::sequence_start;
  p.codec = tag.codec;
  p.track_id = tag.track_id;
  p.multitrack = tag.multitrack;
  p.sequence_header = tag.packet == TagPacket::sequence_start && tag.track_id == 0;
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
