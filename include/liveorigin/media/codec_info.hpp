// What a stream's sequence headers say about it (codec, size, profile, sample rate...): shown by the
// API for each stream, and the helpers the HLS muxer needs to turn FLV payloads into MPEG-TS ones.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/packet.hpp"
#include "liveorigin/media/tag.hpp"

namespace liveorigin::media {

struct VideoInfo {
  Codec codec = Codec::none;
  int width = 0, height = 0;  // display size: coded size minus cropping / conformance window
  std::string profile;        // "High", "Main", "Main 10"... empty when unknown
  int level = 0;              // ten times the level number for every codec: 31 = 3.1, 40 = 4.0
};

struct AudioInfo {
  Codec codec = Codec::none;
  int sample_rate = 0, channels = 0;  // output rate and channels (after SBR / PS for HE-AAC)
  int aac_object_type = 0;            // 2 = LC, 5 = HE (SBR), 29 = HE v2 (SBR + PS); 0 if not AAC
};

// Reads a video sequence header packet (its first track): legacy FLV AVC (codec id 7) and HEVC
// (codec id 12), or an enhanced RTMP SequenceStart ('avc1', 'hvc1', 'av01', 'vp09'). Returns nullopt
// for anything else, or when the header is malformed. Never throws.
std::optional<VideoInfo> parse_video_sequence_header(const Packet& p);

// Reads an audio packet (its first track): the AAC AudioSpecificConfig of a sequence header (legacy
// or enhanced 'mp4a'), an enhanced 'Opus' OpusHead or 'fLaC' STREAMINFO, or, for codecs without
// sequence headers, any frame: legacy FLV sound flags (MP3, Nellymoser, G.711, Speex...), enhanced
// '.mp3', 'ac-3' and 'ec-3' frame headers. nullopt for AAC raw frames and malformed input.
std::optional<AudioInfo> parse_audio_sequence_header(const Packet& p);

// The same per track of a tag (multitrack tags have several; see for_each_video_track). A video
// SequenceStart gives its record's information; for AV1 and VP9, whose records may not hold the
// picture size, a key frame's headers give it (video_info_from_key_frame). legacy_sound_flags is
// AudioTag::sound_flags (0 for an enhanced tag).
std::optional<VideoInfo> video_track_info(const TagTrack& track);
std::optional<AudioInfo> audio_track_info(const TagTrack& track, std::uint8_t legacy_sound_flags);
// The picture size, profile and level an AV1 key frame's sequence header OBU or a VP9 key frame's
// uncompressed header states; nullopt for other codecs and frames without them.
std::optional<VideoInfo> parse_key_frame_info(Codec codec, ByteView frame);

// The record-level parsers under the two above, for callers that already hold the record.
std::optional<VideoInfo> parse_avc_decoder_config(ByteView avc_decoder_config);
std::optional<VideoInfo> parse_hevc_decoder_config(ByteView hevc_decoder_config);
std::optional<AudioInfo> parse_audio_specific_config(ByteView asc);
// AV1CodecConfigurationRecord: with a sequence header OBU among its configOBUs the size too.
std::optional<VideoInfo> parse_av1_config(ByteView av1c);
// VPCodecConfigurationRecord (after the vpcC box's version and flags, or without them): profile
// and level only; the size is in the key frames.
std::optional<VideoInfo> parse_vp9_config(ByteView vpcc);
// The vpcC fields a muxer needs (chroma_subsampling: 0/1 4:2:0, 2 4:2:2, 3 4:4:4); the defaults
// (profile 0, 8-bit 4:2:0) when the record is short.
struct Vp9Format {
  int profile = 0, level = 0, bit_depth = 8, chroma_subsampling = 1;
};
Vp9Format parse_vp9_format(ByteView vpcc);
std::optional<AudioInfo> parse_flac_config(ByteView flac_header);
// AC-3 / E-AC-3 sync frame and MPEG audio frame headers: codec, rate and channels.
std::optional<AudioInfo> parse_audio_frame_info(Codec codec, ByteView frame);

// The SPS and PPS of an AVCDecoderConfigurationRecord (the sequence header body after its 5-byte
// FLV prefix), each behind a 00 00 00 01 start code, as an MPEG-TS key frame must repeat them.
// Throws ParseError on a malformed record.
Bytes avc_config_to_annexb(ByteView avc_decoder_config);

// The 7-byte ADTS header (no CRC) for one raw AAC frame of payload_size bytes. HE-AAC is written
// with implicit signalling (AAC LC at the core rate), as ADTS cannot carry SBR/PS. Throws
// std::length_error if the frame does not fit ADTS's 13-bit length.
Bytes aac_adts_header(const AudioInfo& info, std::size_t payload_size);

}  // namespace liveorigin::media
