// Legacy FLV (video_file_format_spec_v10) and enhanced RTMP v2 (veovera) tag headers.
#include "liveorigin/media/tag.hpp"

namespace liveorigin::media {

namespace {

constexpr std::uint8_t kKeyFrame = 1;
constexpr std::uint8_t kCommandFrame = 5;  // a UI8 command instead of a frame

// Legacy codec ids and sound formats.
constexpr int kLegacyAvc = 7;
constexpr int kLegacyHevc = 12;  // not in the FLV spec; what ffmpeg and others send
constexpr int kSoundMp3 = 2;
constexpr int kSoundExHeader = 9;
constexpr int kSoundAac = 10;

// Enhanced video packet types.
constexpr int kSequenceStart = 0;
constexpr int kCodedFrames = 1;
constexpr int kSequenceEnd = 2;
constexpr int kCodedFramesX = 3;  // CodedFrames with an implied composition time of 0
constexpr int kMetadata = 4;
constexpr int kMpeg2TsSequenceStart = 5;
constexpr int kVideoMultitrack = 6;
constexpr int kModEx = 7;  // the same value for audio

// Enhanced audio packet types.
constexpr int kAudioSequenceStart = 0;
constexpr int kAudioCodedFrames = 1;
constexpr int kAudioSequenceEnd = 2;
constexpr int kMultichannelConfig = 4;
constexpr int kAudioMultitrack = 5;

// AvMultitrackType.
constexpr int kOneTrack = 0;
constexpr int kManyTracksManyCodecs = 2;

constexpr std::uint32_t kAvc1 = make_fourcc("avc1");
constexpr std::uint32_t kHvc1 = make_fourcc("hvc1");
constexpr std::uint32_t kVvc1 = make_fourcc("vvc1");

Codec video_codec(std::uint32_t fourcc) {
  switch (fourcc) {
    case kAvc1: return Codec::h264;
    case kHvc1: return Codec::hevc;
    case make_fourcc("av01"): return Codec::av1;
    case make_fourcc("vp09"): return Codec::vp9;
    default: return Codec::other;  // vp08, vvc1 and unknown ones pass through
  }
}

Codec audio_codec(std::uint32_t fourcc) {
  switch (fourcc) {
    case make_fourcc("mp4a"): return Codec::aac;
    case make_fourcc(".mp3"): return Codec::mp3;
    case make_fourcc("Opus"): return Codec::opus;
    case make_fourcc("ac-3"): return Codec::ac3;
    case make_fourcc("ec-3"): return Codec::eac3;
    case make_fourcc("fLaC"): return Codec::flac;
    default: return Codec::other;
  }
}

// Big-endian reads over a body that say whether the bytes were there, instead of throwing: a
// truncated tag is ordinary publisher input and this runs for every packet.
class Cursor {
 public:
  explicit Cursor(ByteView data) : data_(data) {}

  bool u8(std::uint32_t& v) {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  bool u16(std::uint32_t& v) {
    if (remaining() < 2) return false;
    v = std::uint32_t{data_[pos_]} << 8 | data_[pos_ + 1];
    pos_ += 2;
    return true;
  }
  bool u24(std::uint32_t& v) {
    if (remaining() < 3) return false;
    v = std::uint32_t{data_[pos_]} << 16 | std::uint32_t{data_[pos_ + 1]} << 8 | data_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = std::uint32_t{data_[pos_]} << 24 | std::uint32_t{data_[pos_ + 1]} << 16 |
        std::uint32_t{data_[pos_ + 2]} << 8 | data_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool skip(std::size_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }
  // Ends the view n bytes from here (a multitrack track's size).
  bool limit(std::size_t n) {
    if (n > remaining()) return false;
    data_ = data_.first(pos_ + n);
    return true;
  }
  std::size_t remaining() const { return data_.size() - pos_; }
  ByteView rest() const { return data_.subspan(pos_); }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

// ModEx prefixes: [size - 1:8] (255: then [size - 1:16]), the data, [ModExType:4][PacketType:4],
// repeated while the packet type is ModEx. Their data (a nanosecond timestamp offset) is skipped.
bool skip_mod_ex(Cursor& c, int& packet_type) {
  while (packet_type == kModEx) {
    std::uint32_t size = 0, next = 0;
    if (!c.u8(size)) return false;
    if (size == 255 && !c.u16(size)) return false;
    if (!c.skip(std::size_t{size} + 1) || !c.u8(next)) return false;
    packet_type = static_cast<int>(next & 0x0f);
  }
  return true;
}

// The FourCC, or for a Multitrack tag [AvMultitrackType:4][PacketType:4], the FourCC shared by its
// tracks and then its first track: FourCC (ManyTracksManyCodecs), track id, and for several tracks
// the track's size, which bounds the payload. The tracks after the first are not read.
template <typename Tag>
bool read_fourcc_and_track(Cursor& c, int& packet_type, int multitrack_packet_type, Tag& tag) {
  int multitrack_type = kOneTrack;
  if (packet_type == multitrack_packet_type) {
    std::uint32_t v = 0;
    if (!c.u8(v)) return false;
    multitrack_type = static_cast<int>(v >> 4);
    packet_type = static_cast<int>(v & 0x0f);
    if (multitrack_type > kManyTracksManyCodecs || packet_type == multitrack_packet_type) return false;
    tag.multitrack = true;
  }
  if (!tag.multitrack || multitrack_type != kManyTracksManyCodecs) {
    if (!c.u32(tag.fourcc)) return false;
  }
  if (!tag.multitrack) return true;
  if (multitrack_type == kManyTracksManyCodecs && !c.u32(tag.fourcc)) return false;
  std::uint32_t track_id = 0, track_size = 0;
  if (!c.u8(track_id)) return false;
  tag.track_id = static_cast<std::uint8_t>(track_id);
  if (multitrack_type == kOneTrack) return true;
  return c.u24(track_size) && c.limit(track_size);
}

std::int32_t si24(std::uint32_t v) {
  return static_cast<std::int32_t>(v & 0x800000 ? v - 0x1000000 : v);
}

void read_legacy_video(Cursor& c, int codec_id, VideoTag& tag) {
  tag.codec = codec_id == kLegacyAvc ? Codec::h264 : codec_id == kLegacyHevc ? Codec::hevc : Codec::other;
  TagPacket packet = TagPacket::coded_frames;
  if (tag.frame_type == kCommandFrame) {
    packet = TagPacket::other;
  } else if (tag.codec != Codec::other) {
    // [AVCPacketType:8][CompositionTime:24]; the same layout for codec id 12.
    std::uint32_t type = 0, ct = 0;
    if (!c.u8(type) || !c.u24(ct)) return;
    packet = type == 0 ? TagPacket::sequence_start
           : type == 1 ? TagPacket::coded_frames
           : type == 2 ? TagPacket::sequence_end
                       : TagPacket::other;
    tag.composition_time = si24(ct);
  }
  tag.packet = packet;
  tag.payload = c.rest();
  tag.complete = true;
}

void read_enhanced_video(Cursor& c, int packet_type, VideoTag& tag) {
  if (!skip_mod_ex(c, packet_type)) return;
  if (tag.frame_type == kCommandFrame && packet_type != kMetadata) {
    tag.packet = TagPacket::other;  // no FourCC, no frame: a VideoCommand byte
    tag.payload = c.rest();
    tag.complete = true;
    return;
  }
  if (!read_fourcc_and_track(c, packet_type, kVideoMultitrack, tag)) return;
  tag.codec = video_codec(tag.fourcc);
  TagPacket packet = TagPacket::other;
  switch (packet_type) {
    case kSequenceStart: packet = TagPacket::sequence_start; break;
    case kCodedFrames: {
      packet = TagPacket::coded_frames;
      // Only the NALU-based codecs carry a composition time; AV1 and VP9 data starts here.
      if (tag.fourcc == kAvc1 || tag.fourcc == kHvc1 || tag.fourcc == kVvc1) {
        std::uint32_t ct = 0;
        if (!c.u24(ct)) return;
        tag.composition_time = si24(ct);
      }
      break;
    }
    case kCodedFramesX: packet = TagPacket::coded_frames; break;
    case kSequenceEnd: packet = TagPacket::sequence_end; break;
    case kMetadata: packet = TagPacket::metadata; break;
    case kMpeg2TsSequenceStart: packet = TagPacket::other; break;  // an AV1 video descriptor
    default: return;  // reserved
  }
  tag.packet = packet;
  tag.payload = c.rest();
  tag.complete = true;
}

}  // namespace

VideoTag read_video_tag(ByteView body) {
  VideoTag tag;
  Cursor c(body);
  std::uint32_t first = 0;
  if (!c.u8(first)) return tag;
  // [IsExHeader:1][FrameType:3], then a legacy CodecID or an enhanced PacketType.
  tag.enhanced = (first & 0x80) != 0;
  tag.frame_type = static_cast<std::uint8_t>(first >> 4 & 0x07);
  tag.keyframe = tag.frame_type == kKeyFrame;
  const int low = static_cast<int>(first & 0x0f);
  if (tag.enhanced) read_enhanced_video(c, low, tag);
  else read_legacy_video(c, low, tag);
  return tag;
}

AudioTag read_audio_tag(ByteView body) {
  AudioTag tag;
  Cursor c(body);
  std::uint32_t first = 0;
  if (!c.u8(first)) return tag;
  tag.sound_format = static_cast<std::uint8_t>(first >> 4);
  if (tag.sound_format != kSoundExHeader) {
    // [SoundFormat:4][SoundRate:2][SoundSize:1][SoundType:1]; AAC adds [AACPacketType:8].
    tag.sound_flags = static_cast<std::uint8_t>(first);
    tag.codec = tag.sound_format == kSoundAac ? Codec::aac
              : tag.sound_format == kSoundMp3 ? Codec::mp3
                                              : Codec::other;
    TagPacket packet = TagPacket::coded_frames;
    if (tag.codec == Codec::aac) {
      std::uint32_t type = 0;
      if (!c.u8(type)) return tag;
      packet = type == 0 ? TagPacket::sequence_start
             : type == 1 ? TagPacket::coded_frames
                         : TagPacket::other;
    }
    tag.packet = packet;
    tag.payload = c.rest();
    tag.complete = true;
    return tag;
  }
  // ExAudioTagHeader: [9:4][AudioPacketType:4], ModEx prefixes, the FourCC (or the multitrack header).
  tag.enhanced = true;
  int packet_type = static_cast<int>(first & 0x0f);
  if (!skip_mod_ex(c, packet_type)) return tag;
  if (!read_fourcc_and_track(c, packet_type, kAudioMultitrack, tag)) return tag;
  tag.codec = audio_codec(tag.fourcc);
  switch (packet_type) {
    case kAudioSequenceStart: tag.packet = TagPacket::sequence_start; break;
    case kAudioCodedFrames: tag.packet = TagPacket::coded_frames; break;
    case kAudioSequenceEnd: tag.packet = TagPacket::sequence_end; break;
    case kMultichannelConfig: tag.packet = TagPacket::other; break;
    default: return tag;  // reserved
  }
  tag.payload = c.rest();
  tag.complete = true;
  return tag;
}

std::optional<VideoTag> parse_video_tag(ByteView body) {
  VideoTag tag = read_video_tag(body);
  if (!tag.complete) return std::nullopt;
  return tag;
}

std::optional<AudioTag> parse_audio_tag(ByteView body) {
  AudioTag tag = read_audio_tag(body);
  if (!tag.complete) return std::nullopt;
  return tag;
}

}  // namespace liveorigin::media
