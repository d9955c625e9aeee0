// Enhanced RTMP, where the fuzzer reaches deepest: every track of a tag (Multitrack OneTrack /
// ManyTracks / ManyTracksManyCodecs, ModEx prefixes) with each payload checked to lie inside the
// body and its codec information read, and the records on their own: av1C and AV1 sequence header
// OBUs, vpcC and VP9 key frame headers, OpusHead, FLAC STREAMINFO, AC-3 / E-AC-3 / MP3 frames.
// First byte picks the input kind.
#include "fuzz_util.hpp"
#include "liveorigin/media/codec_info.hpp"
#include "liveorigin/media/tag.hpp"

using namespace liveorigin;

namespace {

void check_track(const media::TagTrack& t, ByteView body) {
  if (t.payload.data() < body.data() || t.payload.data() + t.payload.size() > body.data() + body.size())
    __builtin_trap();
}

void check_video(const std::optional<media::VideoInfo>& info) {
  if (info && (info->width < 0 || info->height < 0 || info->width > 65536 || info->height > 65536))
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  if (size == 0) return 0;
  const ByteView in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      const bool whole = media::for_each_video_track(in, [&](const media::TagTrack& t) {
        check_track(t, in);
        check_video(media::video_track_info(t));
        return true;
      });
      // Ingest forwards an enhanced tag only when every track of it reads.
      const auto packet = media::make_packet(media::MediaType::video, 0, in);
      const bool enhanced = !in.empty() && (in[0] & 0x80) != 0;
      if (enhanced && !whole && packet->drop_reason == nullptr) __builtin_trap();
      break;
    }
    case 1: {
      media::for_each_audio_track(in, [&](const media::TagTrack& t) {
        check_track(t, in);
        if (const auto info = media::audio_track_info(t, 0)) {
          if (info->sample_rate < 0 || info->channels < 0) __builtin_trap();
        }
        return true;
      });
      (void)media::make_packet(media::MediaType::audio, 0, in);
      break;
    }
    case 2:
      check_video(media::parse_av1_config(in));
      check_video(media::parse_vp9_config(in));
      check_video(media::parse_key_frame_info(media::Codec::av1, in));
      check_video(media::parse_key_frame_info(media::Codec::vp9, in));
      (void)media::parse_vp9_format(in);
      break;
    default: {
      media::TagTrack t;
      t.packet = media::TagPacket::sequence_start;
      t.payload = in;
      t.fourcc = media::make_fourcc("Opus");
      for (auto codec : {media::Codec::opus, media::Codec::flac, media::Codec::aac}) {
        t.codec = codec;
        (void)media::audio_track_info(t, 0);
      }
      for (auto codec : {media::Codec::ac3, media::Codec::eac3, media::Codec::mp3}) {
        if (const auto info = media::parse_audio_frame_info(codec, in)) {
          if (info->sample_rate <= 0 || info->channels <= 0) __builtin_trap();
        }
      }
      break;
    }
  }
  return 0;
}
