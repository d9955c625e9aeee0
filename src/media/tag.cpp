// Legacy FLV (video_file_format_spec_v10) and enhanced RTMP v2 (veovera) tag headers.
#include "liveorigin/media/tag.hpp"

#include <type_traits>

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
  // The next n bytes as a cursor of their own (a multitrack track), skipped here.
  bool take(std::size_t n, Cursor& part) {
    if (n > remaining()) return false;
    part = Cursor(data_.subspan(pos_, n));
    pos_ += n;
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

// How the tracks of an enhanced tag are laid out: one FourCC, or a Multitrack header
// [AvMultitrackType:4][PacketType:4] and a FourCC shared by the tracks (none for ManyTracksManyCodecs).
struct Layout {
  bool multitrack = false;
  int multitrack_type = kOneTrack;
  std::uint32_t shared_fourcc = 0;
  bool sized() const { return multitrack && multitrack_type != kOneTrack; }
};

bool read_layout(Cursor& c, int& packet_type, int multitrack_packet_type, Layout& layout) {
  if (packet_type == multitrack_packet_type) {
    std::uint32_t v = 0;
    if (!c.u8(v)) return false;
    layout.multitrack = true;
    layout.multitrack_type = static_cast<int>(v >> 4);
    packet_type = static_cast<int>(v & 0x0f);
    if (layout.multitrack_type > kManyTracksManyCodecs || packet_type == multitrack_packet_type) return false;
    if (layout.multitrack_type == kManyTracksManyCodecs) return true;
  }
  return c.u32(layout.shared_fourcc);
}

// The next track's FourCC (its own with ManyTracksManyCodecs), id, and for several tracks its size,
// which bounds `track`; without one the track is the rest of the body.
bool read_track_header(Cursor& c, const Layout& layout, TagTrack& t, Cursor& track) {
  t.fourcc = layout.shared_fourcc;
  if (layout.multitrack_type == kManyTracksManyCodecs && !c.u32(t.fourcc)) return false;
  if (layout.multitrack) {
    std::uint32_t id = 0;
    if (!c.u8(id)) return false;
    t.track_id = static_cast<std::uint8_t>(id);
  }
  if (!layout.sized()) {
    track = c;
    return c.skip(c.remaining());
  }
  std::uint32_t size = 0;
  return c.u24(size) && c.take(size, track);
}

// Reads every track after the layout: `partial` gets each header field of the first track as soon
// as it is read; visit(track) is called per complete track and returns false to stop early. False
// when a track is cut or uses a reserved packet type.
template <typename ReadPayload, typename Visit>
bool read_tracks(Cursor& c, const Layout& layout, int packet_type, Codec (*codec_of)(std::uint32_t),
                 ReadPayload&& read_payload, TagTrack* partial, Visit&& visit) {
  for (bool first = true;; first = false) {
    TagTrack t;
    Cursor track{ByteView{}};
    const bool header = read_track_header(c, layout, t, track);
    t.codec = codec_of(t.fourcc);
    if (first && partial) {
      partial->fourcc = t.fourcc;
      partial->track_id = t.track_id;
      partial->codec = header || layout.multitrack_type != kManyTracksManyCodecs ? t.codec : Codec::other;
    }
    if (!header || !read_payload(track, packet_type, t)) return false;
    if (!visit(t)) return true;
    if (!layout.sized() || c.remaining() == 0) return true;
  }
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

// Enhanced CodedFrames of the NALU-based codecs carry a composition time; AV1 and VP9 data starts
// right after the FourCC.
bool read_video_payload(Cursor& c, int packet_type, TagTrack& t) {
  switch (packet_type) {
    case kSequenceStart: t.packet = TagPacket::sequence_start; break;
    case kCodedFrames: {
      if (t.fourcc == kAvc1 || t.fourcc == kHvc1 || t.fourcc == kVvc1) {
        std::uint32_t ct = 0;
        if (!c.u24(ct)) return false;
        t.composition_time = si24(ct);
      }
      t.packet = TagPacket::coded_frames;
      break;
    }
    case kCodedFramesX: t.packet = TagPacket::coded_frames; break;
    case kSequenceEnd: t.packet = TagPacket::sequence_end; break;
    case kMetadata: t.packet = TagPacket::metadata; break;
    case kMpeg2TsSequenceStart: t.packet = TagPacket::other; break;  // an AV1 video descriptor
    default: return false;  // reserved
  }
  t.payload = c.rest();
  return true;
}

bool read_audio_payload(Cursor& c, int packet_type, TagTrack& t) {
  switch (packet_type) {
    case kAudioSequenceStart: t.packet = TagPacket::sequence_start; break;
    case kAudioCodedFrames: t.packet = TagPacket::coded_frames; break;
    case kAudioSequenceEnd: t.packet = TagPacket::sequence_end; break;
    case kMultichannelConfig: t.packet = TagPacket::other; break;
    default: return false;  // reserved
  }
  t.payload = c.rest();
  return true;
}

// The one track of a legacy tag.
template <typename Tag>
TagTrack legacy_track(const Tag& tag) {
  TagTrack t;
  t.codec = tag.codec;
  t.packet = tag.packet;
  if constexpr (std::is_same_v<Tag, VideoTag>) t.composition_time = tag.composition_time;
  t.payload = tag.payload;
  return t;
}

// Copies a track into the tag header fields that describe the first track.
template <typename Tag>
void set_first_track(Tag& tag, const TagTrack& t) {
  tag.codec = t.codec;
  tag.packet = t.packet;
  tag.track_id = t.track_id;
  tag.fourcc = t.fourcc;
  tag.payload = t.payload;
  tag.complete = true;
}

// The ModEx prefixes, the layout and the tracks of an enhanced tag (see read_tracks for visit).
template <typename Tag, typename ReadPayload, typename Visit>
bool read_enhanced(Cursor& c, int packet_type, int multitrack_packet_type, Codec (*codec_of)(std::uint32_t),
                   ReadPayload&& read_payload, Tag& tag, Visit&& visit) {
  Layout layout;
  if (!read_layout(c, packet_type, multitrack_packet_type, layout)) {
    tag.multitrack = layout.multitrack;
    return false;
  }
  tag.multitrack = layout.multitrack;
  TagTrack partial;
  const bool ok = read_tracks(c, layout, packet_type, codec_of, read_payload, &partial, visit);
  tag.fourcc = partial.fourcc;
  tag.track_id = partial.track_id;
  tag.codec = partial.codec;
  return ok;
}

// The whole video tag: the header fields into `tag`, each track to visit. False when cut or reserved.
template <typename Visit>
bool read_video(ByteView body, VideoTag& tag, Visit&& visit) {
  Cursor c(body);
  std::uint32_t first = 0;
  if (!c.u8(first)) return false;
  // [IsExHeader:1][FrameType:3], then a legacy CodecID or an enhanced PacketType.
  tag.enhanced = (first & 0x80) != 0;
  tag.frame_type = static_cast<std::uint8_t>(first >> 4 & 0x07);
  tag.keyframe = tag.frame_type == kKeyFrame;
  int packet_type = static_cast<int>(first & 0x0f);
  if (!tag.enhanced) {
    read_legacy_video(c, packet_type, tag);
    if (tag.complete) visit(legacy_track(tag));
    return tag.complete;
  }
  if (!skip_mod_ex(c, packet_type)) return false;
  if (tag.frame_type == kCommandFrame && packet_type != kMetadata) {
    tag.packet = TagPacket::other;  // no FourCC, no frame: a VideoCommand byte, no track
    tag.payload = c.rest();
    tag.complete = true;
    return true;
  }
  return read_enhanced(c, packet_type, kVideoMultitrack, video_codec, read_video_payload, tag, visit);
}

template <typename Visit>
bool read_audio(ByteView body, AudioTag& tag, Visit&& visit) {
  Cursor c(body);
  std::uint32_t first = 0;
  if (!c.u8(first)) return false;
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
      if (!c.u8(type)) return false;
      packet = type == 0 ? TagPacket::sequence_start
             : type == 1 ? TagPacket::coded_frames
                         : TagPacket::other;
    }
    tag.packet = packet;
    tag.payload = c.rest();
    tag.complete = true;
    visit(legacy_track(tag));
    return true;
  }
  // ExAudioTagHeader: [9:4][AudioPacketType:4], ModEx prefixes, the FourCC (or the multitrack header).
  tag.enhanced = true;
  int packet_type = static_cast<int>(first & 0x0f);
  if (!skip_mod_ex(c, packet_type)) return false;
  return read_enhanced(c, packet_type, kAudioMultitrack, audio_codec, read_audio_payload, tag, visit);
}

}  // namespace

VideoTag read_video_tag(ByteView body) {
  VideoTag tag;
  read_video(body, tag, [&](const TagTrack& t) {
    if (!tag.complete) {
      set_first_track(tag, t);
      tag.composition_time = t.composition_time;
    }
    return false;
  });
  return tag;
}

AudioTag read_audio_tag(ByteView body) {
  AudioTag tag;
  read_audio(body, tag, [&](const TagTrack& t) {
    if (!tag.complete) set_first_track(tag, t);
    return false;
  });
  return tag;
}

bool for_each_video_track(ByteView body, const TrackVisitor& visit) {
  VideoTag tag;
  return read_video(body, tag, [&](const TagTrack& t) { return visit(t); });
}

bool for_each_audio_track(ByteView body, const TrackVisitor& visit) {
  AudioTag tag;
  return read_audio(body, tag, [&](const TagTrack& t) { return visit(t); });
}

bool is_known_fourcc(std::uint32_t fourcc) {
  return video_codec(fourcc) != Codec::other || audio_codec(fourcc) != Codec::other ||
         fourcc == make_fourcc("vp08") || fourcc == kVvc1;
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
