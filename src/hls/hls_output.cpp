#include "liveorigin/hls/hls_output.hpp"

#include <spdlog/spdlog.h>

namespace liveorigin::hls {

HlsOutput::HlsOutput(hub::StreamKey key, OutputOptions options, Library& library, DiskWriter* disk,
                     std::string context)
    : key_(std::move(key)), options_(std::move(options)), library_(library),
      disk_(options_.path.empty() ? nullptr : disk), context_(std::move(context)),
      publish_(library_.open(key_, options_.window, options_.fragment)),
      segmenter_(options_.fragment, context_, [this](Segment s) { on_segment(std::move(s)); }) {}

void HlsOutput::on_packet(const media::PacketPtr& packet) {
  if (!ended_) segmenter_.push(*packet);
}

void HlsOutput::on_stream_end() {
  if (ended_) return;
  segmenter_.finish();
  ended_ = true;
  library_.close(key_, publish_);
}

void HlsOutput::on_segment(Segment segment) {
  const auto size = segment.data->size();
  auto added = library_.add_segment(key_, publish_, segment.duration, segment.data);
  if (added.uri.empty()) return;  // a newer publish of this stream took over
  const auto latency = std::chrono::steady_clock::now() - segment.closed_at;
  spdlog::debug("{}: hls: {} ({:.3f} s, {} KiB) in the playlist {} us after its closing frame",
                context_, added.uri, segment.duration, size / 1024,
                std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
  if (!disk_) return;
  const auto dir = std::filesystem::path(options_.path) / key_.app;
  disk_->write(dir / added.uri, std::move(segment.data));
  disk_->write(dir / (key_.name + ".m3u8"), added.snapshot->text);
  for (auto& name : added.evicted) evicted_.push_back(std::move(name));
  while (evicted_.size() > static_cast<std::size_t>(options_.window)) {
    disk_->remove(dir / evicted_.front());
    evicted_.pop_front();
  }
}

}  // namespace liveorigin::hls
