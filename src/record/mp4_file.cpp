// MP4 recording through libavformat: fragmented MP4 while recording (a fragment per key frame and
// at most every second, flushed at once), so a `.part` left by a crash plays up to its last
// fragment; landing remuxes it into a regular MP4 with the moov in front (+faststart).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}
#include <spdlog/spdlog.h>

#include "landing.hpp"
#include "liveorigin/media/av_codec_params.hpp"
#include "liveorigin/media/codec_info.hpp"
#include "liveorigin/record/file_splitter.hpp"
#include "liveorigin/record/media_file.hpp"

namespace liveorigin::record {

namespace fs = std::filesystem;

namespace {

constexpr AVRational kMs{1, 1000};

std::string av_error(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// Output context and its file, closed in every path.
struct OutputContext {
  AVFormatContext* ctx = nullptr;
  ~OutputContext() {
    if (!ctx) return;
    if (ctx->pb) avio_closep(&ctx->pb);
    avformat_free_context(ctx);
  }
};

struct InputContext {
  AVFormatContext* ctx = nullptr;
  ~InputContext() { avformat_close_input(&ctx); }
};

struct PacketHolder {
  AVPacket* pkt = av_packet_alloc();
  ~PacketHolder() { av_packet_free(&pkt); }
};

class Mp4FileWriter : public MediaFileWriter {
 public:
  Mp4FileWriter(const std::string& path, const FileStart& start, const std::string& log_context)
      : path_(path) {
    int rc = avformat_alloc_output_context2(&out_.ctx, nullptr, "mp4", path.c_str());
    if (rc < 0) throw RecordError("mp4 muxer: " + av_error(rc));
    media::allow_experimental_codecs(out_.ctx);
    if (start.video_header) add_video(*start.video_header, start.video_key.get(), log_context);
    if (start.audio_header) {
      add_audio(*start.audio_header, log_context);
    } else if (start.has_audio && start.audio_first) {
      add_audio(*start.audio_first, log_context);  // MP3: no sequence header, its flags say it all
    }
    if (out_.ctx->nb_streams == 0) throw RecordError("no track that MP4 can carry");
    create_exclusive(path);  // throws if anything is there already (a file, a symlink, a FIFO)
    rc = avio_open(&out_.ctx->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) throw RecordError("cannot create " + path + ": " + av_error(rc));
    AVDictionary* options = nullptr;
    // AC-3 / E-AC-3: the muxer writes dac3 / dec3 from a frame, so the moov waits for the first
    // fragment (a crash before it leaves nothing to recover, as with any file).
    av_dict_set(&options, "movflags",
                delay_moov_ ? "frag_keyframe+empty_moov+default_base_moof+delay_moov"
                            : "frag_keyframe+empty_moov+default_base_moof", 0);
    av_dict_set(&options, "frag_duration", "1000000", 0);  // µs: at most a second per fragment
    rc = avformat_write_header(out_.ctx, &options);
    av_dict_free(&options);
    if (rc < 0) throw RecordError("mp4 header for " + path + ": " + av_error(rc));
    avio_flush(out_.ctx->pb);
    if (audio_index_ >= 0 && out_.ctx->streams[audio_index_]->codecpar->codec_id == AV_CODEC_ID_AAC) {
      const AVStream* st = out_.ctx->streams[audio_index_];
      audio_frame_ = av_rescale_q(1024, AVRational{1, st->codecpar->sample_rate}, st->time_base);
    }
  }

  void write(const media::Packet& p, std::uint32_t ts) override {
    if (p.sequence_header || p.type == media::MediaType::data) return;  // config is in the moov
    if (p.track_id != 0) return;  // multitrack: one track per kind, the default one
    const int index = p.is_video() ? video_index_ : p.is_audio() ? audio_index_ : -1;
    if (index < 0) return;
    const ByteView payload = codec_payload(p);
    if (payload.empty()) return;
    AVStream* st = out_.ctx->streams[index];
    std::int64_t dts = av_rescale_q(ts, kMs, st->time_base);
    std::int64_t duration = 0;
    if (index == audio_index_ && audio_frame_ > 0) {
      // FLV stamps AAC frames to the ms (23 or 24 ms for 1024 samples): snap them back onto the
      // sample clock, or the muxer sees overlaps at fragment ends and drops timestamps.
      const std::int64_t jitter = av_rescale_q(2, kMs, st->time_base);
      if (next_audio_dts_ != AV_NOPTS_VALUE && std::abs(dts - next_audio_dts_) <= jitter) dts = next_audio_dts_;
      duration = audio_frame_;
      next_audio_dts_ = dts + audio_frame_;
    }
    // The muxer needs strictly increasing decode times per track.
    auto& last = last_dts_[index];
    if (last != AV_NOPTS_VALUE && dts <= last) dts = last + 1;
    last = dts;
    const std::int64_t cts = p.is_video() ? av_rescale_q(p.composition_time, kMs, st->time_base) : 0;
    pkt_.pkt->data = const_cast<std::uint8_t*>(payload.data());
    pkt_.pkt->size = static_cast<int>(payload.size());
    pkt_.pkt->stream_index = index;
    pkt_.pkt->dts = dts;
    pkt_.pkt->pts = dts + std::max<std::int64_t>(cts, 0);
    pkt_.pkt->duration = duration;
    pkt_.pkt->flags = (p.is_audio() || p.keyframe) ? AV_PKT_FLAG_KEY : 0;
    const int rc = av_write_frame(out_.ctx, pkt_.pkt);
    pkt_.pkt->data = nullptr;
    pkt_.pkt->size = 0;
    if (rc < 0) throw RecordError("mp4 write to " + path_ + ": " + av_error(rc));
    // A fragment is written to the file when the muxer cuts it; pushing it out at once is what
    // makes the .part playable after a crash.
    avio_flush(out_.ctx->pb);
  }

  void flush() override { avio_flush(out_.ctx->pb); }

  void finish() override {
    const int rc = av_write_trailer(out_.ctx);
    avio_flush(out_.ctx->pb);
    bytes_ = static_cast<std::uint64_t>(avio_tell(out_.ctx->pb));
    avio_closep(&out_.ctx->pb);
    if (rc < 0) throw RecordError("mp4 trailer for " + path_ + ": " + av_error(rc));
  }

  std::uint64_t bytes_written() const override {
    return out_.ctx->pb ? static_cast<std::uint64_t>(avio_tell(out_.ctx->pb)) : bytes_;
  }

 private:
  void add_video(const media::Packet& header, const media::Packet* key, const std::string& log_context) {
    auto info = media::parse_video_sequence_header(header);
    if (!info || media::av_codec_id(info->codec) == AV_CODEC_ID_NONE) {
      spdlog::warn("{}: video codec {} cannot be recorded in MP4; video left out", log_context,
                   media::codec_name(header.codec));
      return;
    }
    if (info->width == 0 && key) {  // AV1 without configOBUs, VP9: the key frame tells the size
      if (const auto tag = media::parse_video_tag(key->body())) {
        if (const auto frame = media::parse_key_frame_info(tag->codec, tag->payload)) info = frame;
      }
    }
    AVStream* st = avformat_new_stream(out_.ctx, nullptr);
    st->time_base = kMs;
    media::set_av_video_params(st->codecpar, info->codec, codec_payload(header), info->width, info->height);
    video_index_ = st->index;
  }

  void add_audio(const media::Packet& packet, const std::string& log_context) {
    const auto info = media::parse_audio_sequence_header(packet);
    if (!info || media::av_codec_id(info->codec) == AV_CODEC_ID_NONE) {
      spdlog::warn("{}: audio codec {} cannot be recorded in MP4; audio left out", log_context,
                   media::codec_name(packet.codec));
      return;
    }
    AVStream* st = avformat_new_stream(out_.ctx, nullptr);
    st->time_base = kMs;
    media::set_av_audio_params(st->codecpar, *info, packet.sequence_header ? codec_payload(packet) : ByteView{});
    audio_index_ = st->index;
    delay_moov_ = info->codec == media::Codec::ac3 || info->codec == media::Codec::eac3;
  }

  std::string path_;
  OutputContext out_;
  PacketHolder pkt_;
  int video_index_ = -1, audio_index_ = -1;
  std::int64_t last_dts_[2] = {AV_NOPTS_VALUE, AV_NOPTS_VALUE};  // per track, in its time base
  std::int64_t audio_frame_ = 0;                     // one AAC frame in the audio time base
  bool delay_moov_ = false;
  std::int64_t next_audio_dts_ = AV_NOPTS_VALUE;
  std::uint64_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<MediaFileWriter> open_mp4_writer(const std::string& path, const FileStart& start,
                                                 const std::string& log_context) {
  return std::make_unique<Mp4FileWriter>(path, start, log_context);
}

// Copies every readable packet of the fragmented part into a regular MP4. A crash can cut the
// last fragment: reading stops at the first error or damaged packet, so the tail is cut cleanly.
std::optional<LandedFile> land_mp4(const std::string& part_path, const std::string& final_path) {
  const std::string landing = final_path + ".landing";
  InputContext in;
  int rc = avformat_open_input(&in.ctx, part_path.c_str(), nullptr, nullptr);
  if (rc < 0) {
    // Not even a header: nothing to save.
    spdlog::warn("record: {}: unreadable ({}); removed", part_path, av_error(rc));
    std::error_code ec;
    fs::remove(part_path, ec);
    return std::nullopt;
  }
  // MP4 does not store VP9's pixel format, from which the muxer writes vpcC: a decoder finds it.
  for (unsigned i = 0; i < in.ctx->nb_streams; ++i) {
    const auto* par = in.ctx->streams[i]->codecpar;
    if (par->codec_id == AV_CODEC_ID_VP9 && par->format < 0) {
      avformat_find_stream_info(in.ctx, nullptr);
      break;
    }
  }
  OutputContext out;
  rc = avformat_alloc_output_context2(&out.ctx, nullptr, "mp4", landing.c_str());
  if (rc < 0) throw RecordError("mp4 muxer: " + av_error(rc));
  media::allow_experimental_codecs(out.ctx);
  for (unsigned i = 0; i < in.ctx->nb_streams; ++i) {
    AVStream* st = avformat_new_stream(out.ctx, nullptr);
    avcodec_parameters_copy(st->codecpar, in.ctx->streams[i]->codecpar);
    // Keep the sample entry where MP4 takes it (HEVC stays hvc1); drop tags of other containers.
    const auto* tags = out.ctx->oformat->codec_tag;
    if (!tags || av_codec_get_id(tags, st->codecpar->codec_tag) != st->codecpar->codec_id) st->codecpar->codec_tag = 0;
    st->time_base = in.ctx->streams[i]->time_base;
  }
  fs::remove(landing);  // a leftover of an earlier crash (a symlink there goes, not its target)
  create_exclusive(landing);
  rc = avio_open(&out.ctx->pb, landing.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) throw RecordError("cannot create " + landing + ": " + av_error(rc));
  AVDictionary* options = nullptr;
  av_dict_set(&options, "movflags", "+faststart", 0);
  rc = avformat_write_header(out.ctx, &options);
  av_dict_free(&options);
  if (rc < 0) throw RecordError("mp4 header for " + landing + ": " + av_error(rc));

  PacketHolder pkt;
  std::int64_t packets = 0;
  double end_s = 0;
  std::vector<std::int64_t> last_dts(in.ctx->nb_streams, AV_NOPTS_VALUE);
  while ((rc = av_read_frame(in.ctx, pkt.pkt)) >= 0) {
    const int index = pkt.pkt->stream_index;
    if (pkt.pkt->flags & AV_PKT_FLAG_CORRUPT || index < 0 ||
        index >= static_cast<int>(in.ctx->nb_streams)) {
      av_packet_unref(pkt.pkt);
      break;  // a fragment cut by the crash
    }
    const AVRational in_tb = in.ctx->streams[index]->time_base;
    const AVRational out_tb = out.ctx->streams[index]->time_base;
    if (pkt.pkt->dts != AV_NOPTS_VALUE) last_dts[index] = pkt.pkt->dts;
    const std::int64_t end = (pkt.pkt->pts != AV_NOPTS_VALUE ? pkt.pkt->pts : last_dts[index]) +
                             pkt.pkt->duration;
    end_s = std::max(end_s, end * av_q2d(in_tb));
    av_packet_rescale_ts(pkt.pkt, in_tb, out_tb);
    pkt.pkt->pos = -1;
    rc = av_write_frame(out.ctx, pkt.pkt);
    av_packet_unref(pkt.pkt);
    if (rc < 0) throw RecordError("mp4 write to " + landing + ": " + av_error(rc));
    ++packets;
  }
  if (packets == 0) {
    avio_closep(&out.ctx->pb);
    std::error_code ec;
    fs::remove(landing, ec);
    fs::remove(part_path, ec);
    return std::nullopt;
  }
  rc = av_write_trailer(out.ctx);  // faststart: moves the moov in front of the mdat
  if (rc < 0) throw RecordError("mp4 trailer for " + landing + ": " + av_error(rc));
  avio_closep(&out.ctx->pb);
  LandedFile landed;
  landed.bytes_read = fs::file_size(part_path);
  landed.size = fs::file_size(landing);
  landed.duration_s = end_s;
  fs::rename(landing, final_path);
  fs::remove(part_path);
  return landed;
}

}  // namespace liveorigin::record
