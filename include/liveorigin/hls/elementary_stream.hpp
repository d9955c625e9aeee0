// FLV payloads → MPEG-TS elementary streams: H.264/HEVC from length-prefixed NAL units to Annex B
// (AUD first, parameter sets before each key frame), AAC raw frames to ADTS, MP3, AC-3 and E-AC-3 as they are.
// Codecs MPEG-TS/HLS cannot carry here (Opus, AV1, VP9, ...) are skipped with one log line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/codec_info.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::hls {

struct AccessUnit {
  bool video = false;
  bool keyframe = false;
  std::uint32_t dts_ms = 0;
  std::int32_t cts_ms = 0;
  ByteView data;  // valid until the next convert()
};

class ElementaryStreams {
 public:
  explicit ElementaryStreams(std::string context) : context_(std::move(context)) {}

  // Sequence headers update the codec state and give nullopt, as do data packets, skipped codecs
  // and malformed payloads (logged once per kind). Never throws.
  std::optional<AccessUnit> convert(const media::Packet& packet);

  // The tracks usable so far: none until a usable sequence header (or, for MP3, AC-3, E-AC-3, a frame) arrived.
  media::Codec video_codec() const { return video_codec_; }
  media::Codec audio_codec() const { return audio_codec_; }

 private:
  std::optional<AccessUnit> convert_video(const media::Packet& packet);
  std::optional<AccessUnit> convert_audio(const media::Packet& packet);
  void warn_once(bool& flag, const std::string& what);

  std::string context_;
  media::Codec video_codec_ = media::Codec::none;
  media::Codec audio_codec_ = media::Codec::none;
  Bytes parameter_sets_;     // Annex B SPS/PPS (and VPS for HEVC)
  int nal_length_size_ = 4;
  std::optional<media::AudioInfo> aac_;
  Bytes video_buffer_, audio_buffer_;
  bool warned_video_codec_ = false, warned_audio_codec_ = false, warned_malformed_ = false;
};

// The VPS/SPS/PPS of an HEVCDecoderConfigurationRecord, each behind a start code. Throws ParseError.
Bytes hevc_config_to_annexb(ByteView hevc_decoder_config);

}  // namespace liveorigin::hls
