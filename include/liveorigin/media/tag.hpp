// The audio and video tag header of FLV files and RTMP messages, legacy FLV and enhanced RTMP
// (E-RTMP v1 and v2), read in one place. Pure and cheap: a few header bytes, no allocation, no
// exception; never a byte past the end of the body.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::media {

// What a tag carries: legacy AVCPacketType / AACPacketType and the enhanced packet types, normalised.
enum class TagPacket : std::uint8_t {
  sequence_start,  // decoder configuration: AVC/HEVC/AV1/VP9 record, AudioSpecificConfig, OpusHead...
  coded_frames,    // media: NALUs, OBUs, a raw AAC frame, MP3 / Opus / legacy audio frames
  sequence_end,
  metadata,        // enhanced video Metadata: AMF values (colour information)
  other,           // command frames, multichannel config, MPEG-2 TS sequence start, unknown types
};

// Enhanced RTMP FourCCs as they are on the wire, big-endian: 'hvc1' is 0x68766331.
constexpr std::uint32_t make_fourcc(const char (&s)[5]) {
  return std::uint32_t{static_cast<std::uint8_t>(s[0])} << 24 |
         std::uint32_t{static_cast<std::uint8_t>(s[1])} << 16 |
         std::uint32_t{static_cast<std::uint8_t>(s[2])} << 8 | static_cast<std::uint8_t>(s[3]);
}

struct VideoTag {
  Codec codec = Codec::other;
  TagPacket packet = TagPacket::other;
  std::uint8_t frame_type = 0;        // 1 key, 2 inter, 3 disposable, 4 generated key, 5 command
  bool keyframe = false;              // frame type 1
  bool enhanced = false;              // IsExHeader set: packet type and FourCC instead of codec id
  bool multitrack = false;            // an enhanced Multitrack tag: these fields are its first track's
  std::uint8_t track_id = 0;          // 0 when not multitrack
  std::uint32_t fourcc = 0;           // enhanced only (0 for a command frame)
  std::int32_t composition_time = 0;  // ms; legacy AVC/HEVC, and enhanced CodedFrames of avc1/hvc1/vvc1
  ByteView payload;                   // the codec data after the header, inside the body
  // False when the body ends inside the header, or uses a packet or multitrack type this parser
  // does not know: only the fields read before that point are set; packet is other, the payload
  // empty and the composition time 0.
  bool complete = false;
};

struct AudioTag {
  Codec codec = Codec::other;
  TagPacket packet = TagPacket::other;
  std::uint8_t sound_format = 0;      // legacy SoundFormat: 2 MP3, 10 AAC...; 9 for enhanced
  std::uint8_t sound_flags = 0;       // legacy: the whole first byte [format:4][rate:2][size:1][type:1]
  bool enhanced = false;              // SoundFormat 9: ExAudioTagHeader with a FourCC
  bool multitrack = false;            // as VideoTag::multitrack
  std::uint8_t track_id = 0;
  std::uint32_t fourcc = 0;
  ByteView payload;                   // AAC raw frame or AudioSpecificConfig, MP3 frames, OpusHead...
  bool complete = false;              // as VideoTag::complete
};

// One track of a tag: the only one of a legacy or single-track enhanced tag (track 0), or one of an
// enhanced Multitrack tag's.
struct TagTrack {
  std::uint8_t track_id = 0;
  std::uint32_t fourcc = 0;           // enhanced only
  Codec codec = Codec::other;
  TagPacket packet = TagPacket::other;
  std::int32_t composition_time = 0;  // as VideoTag::composition_time; 0 for audio
  ByteView payload;                   // this track's codec data, inside the body
};

// Called per track in wire order; returns false to stop.
using TrackVisitor = std::function<bool(const TagTrack&)>;

// Reads as much of the header as the body holds; see VideoTag::complete. Never fails.
VideoTag read_video_tag(ByteView body);
AudioTag read_audio_tag(ByteView body);

// Every track of a tag in wire order (none for a video command frame). False when the tag is cut
// anywhere, a multitrack size runs past the end, or a packet type is reserved: unlike the two above,
// which read only the first track, this checks the whole body (what ingest forwards).
bool for_each_video_track(ByteView body, const TrackVisitor& visit);
bool for_each_audio_track(ByteView body, const TrackVisitor& visit);

// A FourCC the enhanced RTMP spec defines (video or audio), whether or not its codec is parsed here.
bool is_known_fourcc(std::uint32_t fourcc);

// The same for callers that need the payload: nullopt unless the header is complete.
std::optional<VideoTag> parse_video_tag(ByteView body);
std::optional<AudioTag> parse_audio_tag(ByteView body);

}  // namespace liveorigin::media
