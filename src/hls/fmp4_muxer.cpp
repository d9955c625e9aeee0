#include "liveorigin/hls/fmp4_muxer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "liveorigin/media/av_codec_params.hpp"
#include "liveorigin/media/codec_info.hpp"
#include "liveorigin/media/tag.hpp"

namespace liveorigin::hls {

namespace {

constexpr AVRational kMs{1, 1000};
constexpr int kIoBuffer = 64 * 1024;

std::string av_error(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// libavformat 5.1 declares the buffer non-const.
int append(void* opaque, std::uint8_t* data, int size) {
  auto& out = *static_cast<Bytes*>(opaque);
  out.insert(out.end(), data, data + size);
  return size;
}

bool fmp4_video(media::Codec c) {
  return c == media::Codec::h264 || c == media::Codec::hevc || c == media::Codec::av1 || c == media::Codec::vp9;
}
bool fmp4_audio(media::Codec c) {
  return c == media::Codec::aac || c == media::Codec::mp3 || c == media::Codec::opus || c == media::Codec::flac;
}

Fmp4Track config_track(media::Codec codec, ByteView config) {
  Fmp4Track t;
  t.codec = codec;
  t.config.assign(config.begin(), config.end());
  return t;
}

}  // namespace

bool ts_can_carry(media::Codec video, media::Codec audio) {
  const bool v = video == media::Codec::none || video == media::Codec::h264 || video == media::Codec::hevc;
  const bool a = audio == media::Codec::none || audio == media::Codec::aac || audio == media::Codec::mp3 ||
                 audio == media::Codec::ac3 || audio == media::Codec::eac3;
  return v && a;
}

std::optional<AccessUnit> Fmp4Source::convert(const media::Packet& packet) {
  if (packet.track_id != 0) return std::nullopt;  // the default track; others are FLV-only
  if (packet.is_video()) {
    if (!fmp4_video(packet.codec)) return std::nullopt;
    const auto tag = media::parse_video_tag(packet.body());
    if (!tag) return std::nullopt;
    if (tag->packet == media::TagPacket::sequence_start) {
      video_ = config_track(packet.codec, tag->payload);
      if (const auto info = media::parse_video_sequence_header(packet)) {
        video_.width = info->width;
        video_.height = info->height;
      }
      return std::nullopt;
    }
    if (tag->packet != media::TagPacket::coded_frames || video_.codec != packet.codec || tag->payload.empty())
      return std::nullopt;
    if (packet.keyframe && video_.width == 0) {  // VP9, AV1 without configOBUs: the size is here
      if (const auto info = media::parse_key_frame_info(packet.codec, tag->payload)) {
        video_.width = info->width;
        video_.height = info->height;
      }
    }
    return AccessUnit{true, packet.keyframe, packet.timestamp, packet.composition_time, tag->payload};
  }
  if (!packet.is_audio() || !fmp4_audio(packet.codec)) return std::nullopt;
  const auto tag = media::parse_audio_tag(packet.body());
  if (!tag) return std::nullopt;
  if (tag->packet == media::TagPacket::sequence_start) {
    audio_ = config_track(packet.codec, tag->payload);
    return std::nullopt;
  }
  if (tag->packet != media::TagPacket::coded_frames || tag->payload.empty()) return std::nullopt;
  if (packet.codec == media::Codec::mp3 && audio_.codec != media::Codec::mp3) {
    // MP3 has no config: its first frame header says what it is.
    audio_ = config_track(media::Codec::mp3, tag->payload.first(std::min<std::size_t>(4, tag->payload.size())));
  }
  if (audio_.codec != packet.codec) return std::nullopt;
  return AccessUnit{false, false, packet.timestamp, 0, tag->payload};
}

Fmp4Muxer::Fmp4Muxer(const Fmp4Track& video, const Fmp4Track& audio) : video_(video), audio_(audio) {
  try {
    open();
  } catch (...) {
    release();
    throw;
  }
}

void Fmp4Muxer::open() {
  int rc = avformat_alloc_output_context2(&ctx_, nullptr, "mp4", nullptr);
  if (rc < 0) throw std::runtime_error("mp4 muxer: " + av_error(rc));
  media::allow_experimental_codecs(ctx_);
  pkt_ = av_packet_alloc();
  auto* buffer = static_cast<std::uint8_t*>(av_malloc(kIoBuffer));
  if (buffer) ctx_->pb = avio_alloc_context(buffer, kIoBuffer, 1, &out_, nullptr, append, nullptr);
  if (!ctx_->pb) av_free(buffer);
  if (!pkt_ || !ctx_->pb) throw std::bad_alloc();
  if (video_.codec != media::Codec::none) add_stream(video_);
  if (audio_.codec != media::Codec::none) add_stream(audio_);
  if (ctx_->nb_streams == 0) throw std::runtime_error("fMP4: no track");
  AVDictionary* options = nullptr;
  // One fragment per segment, cut when the segmenter says; tfdt-based timing (CMAF).
  av_dict_set(&options, "movflags", "frag_custom+empty_moov+default_base_moof+cmaf", 0);
  rc = avformat_write_header(ctx_, &options);
  av_dict_free(&options);
  if (rc < 0) throw std::runtime_error("fMP4 init segment: " + av_error(rc));
  avio_flush(ctx_->pb);
  init_ = std::make_shared<const Bytes>(std::move(out_));
  out_.clear();
}

Fmp4Muxer::~Fmp4Muxer() { release(); }

void Fmp4Muxer::release() {
  if (ctx_) {
    if (ctx_->pb) {
      av_freep(&ctx_->pb->buffer);
      avio_context_free(&ctx_->pb);
    }
    avformat_free_context(ctx_);
    ctx_ = nullptr;
  }
  av_packet_free(&pkt_);
}

void Fmp4Muxer::add_stream(const Fmp4Track& track) {
  AVStream* st = avformat_new_stream(ctx_, nullptr);
  if (!st) throw std::bad_alloc();
  st->time_base = kMs;
  if (fmp4_video(track.codec)) {
    media::set_av_video_params(st->codecpar, track.codec, track.config, track.width, track.height);
    video_index_ = st->index;
    return;
  }
  std::optional<media::AudioInfo> info;
  if (track.codec == media::Codec::aac) info = media::parse_audio_specific_config(track.config);
  else if (track.codec == media::Codec::flac) info = media::parse_flac_config(track.config);
  else if (track.codec == media::Codec::mp3) info = media::parse_audio_frame_info(track.codec, track.config);
  if (track.codec == media::Codec::opus) {
    info.emplace();  // Opus decodes at 48 kHz; the OpusHead says the channels
    info->sample_rate = 48000;
    info->channels = track.config.size() > 9 ? track.config[9] : 2;
  }
  if (!info) throw std::runtime_error(std::string("unreadable ") + media::codec_name(track.codec) + " config");
  info->codec = track.codec;
  media::set_av_audio_params(st->codecpar, *info, track.codec == media::Codec::mp3 ? ByteView{} : ByteView(track.config));
  audio_index_ = st->index;
}

void Fmp4Muxer::write_sample(int index, Pending& p, std::int64_t duration) {
  AVStream* st = ctx_->streams[index];
  pkt_->data = p.data.data();
  pkt_->size = static_cast<int>(p.data.size());
  pkt_->stream_index = index;
  std::int64_t dts = av_rescale_q(p.dts, kMs, st->time_base);
  // The muxer needs strictly increasing decode times per track.
  auto& last = last_dts_[index];
  if (last != INT64_MIN && dts <= last) dts = last + 1;
  last = dts;
  pkt_->dts = dts;
  pkt_->pts = std::max(dts, av_rescale_q(p.pts, kMs, st->time_base));
  pkt_->duration = av_rescale_q(std::max<std::int64_t>(duration, 1), kMs, st->time_base);
  pkt_->flags = p.key ? AV_PKT_FLAG_KEY : 0;
  const int rc = av_write_frame(ctx_, pkt_);
  pkt_->data = nullptr;
  pkt_->size = 0;
  p.held = false;
  if (rc < 0) throw std::runtime_error("fMP4 write: " + av_error(rc));
}

void Fmp4Muxer::write(const AccessUnit& au) {
  const int index = au.video ? video_index_ : audio_index_;
  if (index < 0) return;
  Pending& p = pending_[au.video ? 0 : 1];
  const std::int64_t dts = au.dts_ms;
  if (p.held) {
    p.step = std::max<std::int64_t>(dts - p.dts, 1);
    write_sample(index, p, p.step);
  }
  p.held = true;
  p.data.assign(au.data.begin(), au.data.end());
  p.dts = dts;
  p.pts = dts + (au.video ? std::max(au.cts_ms, 0) : 0);
  p.key = !au.video || au.keyframe;
}

Bytes Fmp4Muxer::fragment() {
  // The samples still held end the fragment, lasting as long as the one before them.
  for (int i = 0; i < 2; ++i) {
    Pending& p = pending_[i];
    if (p.held) write_sample(i == 0 ? video_index_ : audio_index_, p, p.step > 0 ? p.step : 20);
  }
  const int rc = av_write_frame(ctx_, nullptr);  // frag_custom: flush the fragment now
  if (rc < 0) throw std::runtime_error("fMP4 fragment: " + av_error(rc));
  avio_flush(ctx_->pb);
  Bytes out = std::move(out_);
  out_.clear();
  return out;
}

}  // namespace liveorigin::hls
