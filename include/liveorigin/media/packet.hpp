// One media message as it travels from a publisher to every output: built once, never copied,
// shared by all players, segmenters and recorders through PacketPtr.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "liveorigin/common/bytes.hpp"

namespace liveorigin::media {

// FLV / RTMP message type ids.
enum class MediaType : std::uint8_t { audio = 8, video = 9, data = 18 };

enum class Codec : std::uint8_t {
  none,      // data messages
  h264,
  hevc,
  av1,
  vp9,
  aac,
  mp3,
  opus,
  ac3,
  eac3,
  flac,
  other,     // a codec we pass through without understanding it
};

const char* codec_name(Codec c);

struct Packet {
  MediaType type = MediaType::data;
  std::uint32_t timestamp = 0;         // decode time, ms, as the publisher sent it
  std::int32_t composition_time = 0;   // video: presentation - decode time, ms
  Codec codec = Codec::none;
  std::uint8_t track_id = 0;           // enhanced RTMP multitrack: the (first) track; 0 otherwise
  bool multitrack = false;             // an enhanced Multitrack tag (one or more tracks)
  // A video key frame of the default track (track 0): where players and segments may start. Audio,
  // data and other tracks' key frames: false.
  bool keyframe = false;
  // Decoder configuration (AVC/HEVC/AV1/VP9 record, AAC AudioSpecificConfig, OpusHead) of track 0,
  // the default track: the one the GOP cache keeps and single-track outputs play.
  bool sequence_header = false;
  // A SequenceStart of any track (a multitrack tag's first track, or track 0 of a plain one): the
  // GOP cache keeps the latest per track so late players can decode every track.
  bool track_config = false;
  // Why ingest drops this message instead of forwarding it (nullptr: it is forwarded): an enhanced
  // tag that is cut, has a multitrack or ModEx size past its end, or names an unknown FourCC.
  const char* drop_reason = nullptr;
  // The complete FLV tag: 11-byte header, body, 4-byte previous-tag-size. HTTP-FLV players
  // and the FLV recorder write these bytes as they are.
  Bytes flv_tag;

  // The message body (what RTMP carries; the FLV tag minus its header and trailer).
  ByteView body() const { return ByteView(flv_tag).subspan(11, flv_tag.size() - 15); }
  std::uint32_t pts() const { return timestamp + composition_time; }
  bool is_video() const { return type == MediaType::video; }
  bool is_audio() const { return type == MediaType::audio; }

  // A second wire form (RTMP chunks) computed by the first output that needs it and then shared
  // by every other: `make` runs at most once per packet, whatever the thread.
  template <typename Make>
  const Bytes& rtmp_chunks(Make&& make) const {
    std::call_once(rtmp_once_, [&] { rtmp_chunks_ = make(*this); });
    return rtmp_chunks_;
  }

 private:
  mutable std::once_flag rtmp_once_;
  mutable Bytes rtmp_chunks_;
};

using PacketPtr = std::shared_ptr<const Packet>;

// True for an onMetaData script body (AMF0 string "onMetaData" first).
bool is_metadata_body(ByteView body);

// Builds a packet from an RTMP/FLV message body, its codec, track, key-frame and sequence-header
// flags and composition time read once by read_video_tag / read_audio_tag (media/tag.hpp). Never
// throws: a body cut inside its header keeps what was read before the cut (Codec::other when not
// even that), and is neither a sequence header nor timed by a composition time. onMetaData describes the stream and is not timed:
// it is stamped 0 (players such as ffmpeg take a later-stamped one for a subtitle track).
PacketPtr make_packet(MediaType type, std::uint32_t timestamp, ByteView body);

}  // namespace liveorigin::media
