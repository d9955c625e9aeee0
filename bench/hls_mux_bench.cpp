// HLS muxing cost: our TS muxer (hls::Segmenter) against FFmpeg's libavformat mpegts muxer with a
// custom AVIOContext writing into memory, over the same FLV file, in CPU seconds per stream-hour;
// and the segmenter's fMP4 output (hls.format fmp4: libavformat's MP4 muxer) over the same input.
// Also times add_segment (a segment's closing key frame → listed in the playlist).
//
// Build (from the repository root, after building the libraries; run by hand, not by CMake):
//   g++ -std=c++20 -O2 -Iinclude bench/hls_mux_bench.cpp build/libliveorigin_hls.a \
//       build/libliveorigin_hub.a build/libliveorigin_media.a build/libliveorigin_common.a \
//       $(pkg-config --cflags --libs libavformat libavcodec libavutil) -lspdlog -lfmt -pthread \
//       -o /tmp/hls_mux_bench
// Make a 2.5 Mbit/s input:
//   ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=25 -f lavfi -i sine -t 60 -c:v libx264 \
//       -preset veryfast -b:v 2400k -g 50 -c:a aac -b:a 128k /tmp/hls_bench.flv
// Run: /tmp/hls_mux_bench /tmp/hls_bench.flv [repeats]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
}

#include "liveorigin/hls/library.hpp"
#include "liveorigin/hls/segmenter.hpp"
#include "liveorigin/media/flv.hpp"

using namespace liveorigin;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double run_own(const std::vector<media::PacketPtr>& packets, std::size_t& bytes, std::vector<double>& publish_us,
               hls::Format format = hls::Format::ts) {
  hls::Library library;
  const hub::StreamKey key{"live", "bench"};
  const auto publish = library.open(key, 6, 2);
  const double start = cpu_seconds();
  hls::Segmenter segmenter(2, "bench", [&](hls::Segment s) {
    bytes += s.data->size();
    library.add_segment(key, publish, s.duration, s.data);
    publish_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s.closed_at).count());
  }, [] { return std::chrono::steady_clock::now(); }, format);
  for (const auto& p : packets) segmenter.push(*p);
  segmenter.finish();
  return cpu_seconds() - start;
}

int write_packet(void* opaque, std::uint8_t* buf, int size) {
  auto* out = static_cast<Bytes*>(opaque);
  out->insert(out->end(), buf, buf + size);
  return size;
}

double run_lavf(const std::vector<media::PacketPtr>& packets, std::size_t& bytes) {
  const double start = cpu_seconds();
  Bytes out;
  AVFormatContext* fmt = nullptr;
  avformat_alloc_output_context2(&fmt, nullptr, "mpegts", nullptr);
  auto* io_buffer = static_cast<unsigned char*>(av_malloc(65536));
  fmt->pb = avio_alloc_context(io_buffer, 65536, 1, &out, nullptr, write_packet, nullptr);
  AVStream* video = nullptr;
  AVStream* audio = nullptr;
  bool header = false;
  std::uint32_t segment_start = 0;
  AVPacket* pkt = av_packet_alloc();
  for (const auto& p : packets) {
    const auto body = p->body();
    if (p->sequence_header) {
      AVStream* st = avformat_new_stream(fmt, nullptr);
      const auto config = p->is_video() ? body.subspan(5) : body.subspan(2);
      st->codecpar->codec_type = p->is_video() ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO;
      st->codecpar->codec_id = p->is_video() ? AV_CODEC_ID_H264 : AV_CODEC_ID_AAC;
      st->codecpar->extradata = static_cast<std::uint8_t*>(av_mallocz(config.size() + AV_INPUT_BUFFER_PADDING_SIZE));
      std::copy(config.begin(), config.end(), st->codecpar->extradata);
      st->codecpar->extradata_size = static_cast<int>(config.size());
      if (!p->is_video()) {
        st->codecpar->sample_rate = 44100;
        av_channel_layout_default(&st->codecpar->ch_layout, 2);
      }
      st->time_base = AVRational{1, 1000};
      (p->is_video() ? video : audio) = st;
      continue;
    }
    if (!p->is_video() && !p->is_audio()) continue;
    if (p->is_video() && p->body()[1] != 1) continue;  // AVC end of sequence: no frame
    if (!header) {
      if (avformat_write_header(fmt, nullptr) < 0) return -1;
      header = true;
    }
    // A new segment on each key frame 2 s on: flush the muxer as the HLS muxer does.
    if (p->is_video() && p->keyframe && p->timestamp - segment_start >= 2000) {
      av_write_frame(fmt, nullptr);
      avio_flush(fmt->pb);
      bytes += out.size();
      out.clear();
      segment_start = p->timestamp;
    }
    AVStream* st = p->is_video() ? video : audio;
    const std::size_t offset = p->is_video() ? 5 : 2;
    av_new_packet(pkt, static_cast<int>(body.size() - offset));
    std::copy(body.begin() + static_cast<long>(offset), body.end(), pkt->data);
    pkt->stream_index = st->index;
    pkt->dts = p->timestamp;
    pkt->pts = p->pts();
    if (p->keyframe) pkt->flags |= AV_PKT_FLAG_KEY;
    av_packet_rescale_ts(pkt, AVRational{1, 1000}, st->time_base);
    av_write_frame(fmt, pkt);
    av_packet_unref(pkt);
  }
  av_write_trailer(fmt);
  avio_flush(fmt->pb);
  bytes += out.size();
  av_packet_free(&pkt);
  av_freep(&fmt->pb->buffer);
  avio_context_free(&fmt->pb);
  avformat_free_context(fmt);
  return cpu_seconds() - start;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.flv [repeats]\n", argv[0]);
    return 2;
  }
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  std::ifstream in(argv[1], std::ios::binary);
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  media::FlvReader reader;
  reader.feed(file);
  std::vector<media::PacketPtr> packets;
  std::size_t input = 0;
  while (auto tag = reader.next()) {
    packets.push_back(media::make_packet(tag->type, tag->timestamp, tag->body));
    input += tag->body.size();
  }
  const double seconds = packets.back()->timestamp / 1000.0;
  std::printf("input: %zu packets, %.1f s, %.0f kbit/s\n", packets.size(), seconds, input * 8 / seconds / 1000);
  av_log_set_level(AV_LOG_ERROR);
  // Each measurement muxes the file `passes` times, well above getrusage's resolution.
  constexpr int passes = 40;
  for (int i = 0; i < repeats; ++i) {
    std::size_t own_bytes = 0, lavf_bytes = 0, fmp4_bytes = 0;
    std::vector<double> publish_us, fmp4_us;
    double own = 0, lavf = 0, fmp4 = 0;
    for (int k = 0; k < passes; ++k) own += run_own(packets, own_bytes, publish_us);
    for (int k = 0; k < passes; ++k) lavf += run_lavf(packets, lavf_bytes);
    for (int k = 0; k < passes; ++k) fmp4 += run_own(packets, fmp4_bytes, fmp4_us, hls::Format::fmp4);
    own /= passes;
    lavf /= passes;
    fmp4 /= passes;
    own_bytes /= passes;
    lavf_bytes /= passes;
    fmp4_bytes /= passes;
    std::sort(publish_us.begin(), publish_us.end());
    std::printf("own muxer: %.4f CPU s (%.1f CPU s per stream-hour, %.3f%% of a core), %zu bytes | "
                "libavformat: %.4f CPU s (%.1f CPU s per stream-hour), %zu bytes | "
                "key frame -> playlist: median %.1f us, max %.1f us\n",
                own, own / seconds * 3600, own / seconds * 100, own_bytes, lavf, lavf / seconds * 3600,
                lavf_bytes, publish_us[publish_us.size() / 2], publish_us.back());
    std::printf("  fMP4 (segmenter, hls.format fmp4): %.4f CPU s (%.1f CPU s per stream-hour), %zu bytes\n", fmp4,
                fmp4 / seconds * 3600, fmp4_bytes);
  }
}
