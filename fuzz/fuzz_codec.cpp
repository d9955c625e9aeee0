// The codec-header records on their own, where the fuzzer reaches deepest: AVCDecoderConfiguration
// (SPS bit parsing), HEVCDecoderConfiguration, AudioSpecificConfig, their Annex B forms as the HLS
// muxer builds them, and ADTS headers. First byte picks the parser.
#include <stdexcept>

#include "fuzz_util.hpp"
#include "liveorigin/hls/elementary_stream.hpp"
#include "liveorigin/media/codec_info.hpp"

using namespace liveorigin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  if (size == 0) return 0;
  const ByteView record(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      if (const auto info = media::parse_avc_decoder_config(record)) {
        if (info->width < 0 || info->height < 0) __builtin_trap();
      }
      try {
        (void)media::avc_config_to_annexb(record);
      } catch (const ParseError&) {
      }
      break;
    case 1:
      if (const auto info = media::parse_hevc_decoder_config(record)) {
        if (info->width < 0 || info->height < 0) __builtin_trap();
      }
      try {
        (void)hls::hevc_config_to_annexb(record);
      } catch (const ParseError&) {
      }
      break;
    case 2:
      if (const auto info = media::parse_audio_specific_config(record)) {
        if (info->sample_rate <= 0) __builtin_trap();
        try {
          const auto adts = media::aac_adts_header(*info, record.size());
          if (adts.size() != 7) __builtin_trap();
        } catch (const std::length_error&) {
        }
      }
      break;
    default: {
      // Whole packets: the FLV prefix decides legacy/enhanced and which record follows.
      const auto video = media::make_packet(media::MediaType::video, 0, record);
      (void)media::parse_video_sequence_header(*video);
      const auto audio = media::make_packet(media::MediaType::audio, 0, record);
      (void)media::parse_audio_sequence_header(*audio);
    }
  }
  return 0;
}
