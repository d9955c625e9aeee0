// What a stream's sequence headers say about it (codec, size, profile, sample rate...): shown by the
// API for each stream, and the helpers the HLS muxer needs to turn FLV payloads into MPEG-TS ones.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::media {

struct VideoInfo {
  Codec codec = Codec::none;
  int width = 0, height = 0;  // display size: coded size minus cropping / conformance window
  std::string profile;        // "High", "Main", "Main 10"... empty when unknown
  int level = 0;              // ten times the level number for both codecs: 31 = 3.1, 40 = 4.0
};

struct AudioInfo {
  Codec codec = Codec::none;
  int sample_rate = 0, channels = 0;  // output rate and channels (after SBR / PS for HE-AAC)
  int aac_object_type = 0;            // 2 = LC, 5 = HE (SBR), 29 = HE v2 (SBR + PS); 0 if not AAC
};

// Reads a video sequence header packet: legacy FLV AVC (codec id 7) and HEVC (codec id 12), or an
// enhanced RTMP SequenceStart ('avc1', 'hvc1'; 'av01' and 'vp09' give the codec only). Returns
// nullopt for anything else, or when the header is malformed. Never throws.
std::optional<VideoInfo> parse_video_sequence_header(const Packet& p);

// Reads an audio packet: the AAC AudioSpecificConfig of a sequence header (legacy or enhanced
// 'mp4a'), an enhanced 'Opus' OpusHead, or, for legacy codecs without sequence headers (MP3,
// Nellymoser, G.711, Speex...), the FLV sound flags of any packet. nullopt for AAC raw frames and
// malformed input. Never throws.
std::optional<AudioInfo> parse_audio_sequence_header(const Packet& p);

// The record-level parsers under the two above, for callers that already hold the record.
std::optional<VideoInfo> parse_avc_decoder_config(ByteView avc_decoder_config);
std::optional<VideoInfo> parse_hevc_decoder_config(ByteView hevc_decoder_config);
std::optional<AudioInfo> parse_audio_specific_config(ByteView asc);

// The SPS and PPS of an AVCDecoderConfigurationRecord (the sequence header body after its 5-byte
// FLV prefix), each behind a 00 00 00 01 start code, as an MPEG-TS key frame must repeat them.
// Throws ParseError on a malformed record.
Bytes avc_config_to_annexb(ByteView avc_decoder_config);

// The 7-byte ADTS header (no CRC) for one raw AAC frame of payload_size bytes. HE-AAC is written
// with implicit signalling (AAC LC at the core rate), as ADTS cannot carry SBR/PS. Throws
// std::length_error if the frame does not fit ADTS's 13-bit length.
Bytes aac_adts_header(const AudioInfo& info, std::size_t payload_size);

}  // namespace liveorigin::media
