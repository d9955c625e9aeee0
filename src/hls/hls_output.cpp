#include "liveorigin/hls/hls_output.hpp"

#include <chrono>
#include <vector>

#include <spdlog/spdlog.h>

namespace liveorigin::hls {

HlsOutput::HlsOutput(hub::StreamKey key, OutputOptions options, Library& library, DiskWriter* disk,
                     std::string context)
    : key_(std::move(key)), options_(std::move(options)), library_(library),
      disk_(options_.path.empty() ? nullptr : disk), context_(std::move(context)),
      continues_(library_.holds(key_)),
      publish_(library_.open(key_, options_.window, options_.fragment)),
      segmenter_(options_.fragment, context_, [this](Segment s) { on_segment(std::move(s)); },
                 [] { return std::chrono::steady_clock::now(); }, options_.format) {
  if (disk_) disk_->keep(key_.str(), continues_);
}

void HlsOutput::on_packet(const media::PacketPtr& packet) {
  if (!ended_) segmenter_.push(*packet);
}

void HlsOutput::on_stream_end() {
  if (ended_) return;
  segmenter_.finish();
  ended_ = true;
  if (!library_.close(key_, publish_) || !disk_) return;
  // On disk (a CDN or nginx serving hls.path): the playlist says the stream ended, and its files
  // go once the memory copy would be gone too (the offline hold, then a window for players still
  // fetching), unless the stream publishes again before.
  const auto dir = directory();
  std::vector<std::filesystem::path> left, listed;  // segments that left the playlist, or are in it
  for (const auto& name : evicted_) left.push_back(dir / name);
  double target = options_.fragment;
  if (const auto snapshot = library_.playlist(key_)) {
    std::string map;
    for (const auto& entry : snapshot->playlist.entries()) {
      listed.push_back(dir / entry.uri);
      if (!entry.map_uri.empty() && entry.map_uri != map) listed.push_back(dir / (map = entry.map_uri));
    }
    target = snapshot->playlist.target_duration();
    const auto text = snapshot->playlist.render() + "#EXT-X-ENDLIST\n";
    disk_->write(playlist_file(), std::make_shared<const Bytes>(text.begin(), text.end()));
  }
  const auto now = std::chrono::steady_clock::now();
  const auto after = [&](double targets) {
    return now + std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(target * targets));
  };
  // Segments that left the playlist go a window later whatever happens next (group "" is never
  // kept); the listed ones and the playlist after the offline hold too, unless a republish keeps them.
  disk_->expire("", std::move(left), std::nullopt, after(options_.window));
  disk_->expire(key_.str(), std::move(listed), playlist_file(), after(Library::kOfflineTargets + options_.window));
}

void HlsOutput::on_segment(Segment segment) {
  const auto size = segment.data->size();
  auto added = library_.add_segment(key_, publish_, segment.duration, segment.data, segment.init);
  if (added.uri.empty()) return;  // a newer publish of this stream took over
  const auto latency = std::chrono::steady_clock::now() - segment.closed_at;
  spdlog::debug("{}: hls: {} ({:.3f} s, {} KiB) in the playlist {} us after its closing frame",
                context_, added.uri, segment.duration, size / 1024,
                std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
  if (!disk_) return;
  const auto dir = directory();
  if (!added.init_uri.empty()) disk_->write(dir / added.init_uri, std::move(segment.init));
  disk_->write(dir / added.uri, std::move(segment.data));
  disk_->write(playlist_file(), added.snapshot->text);
  for (auto& name : added.evicted) evicted_.push_back(std::move(name));
  while (evicted_.size() > static_cast<std::size_t>(options_.window)) {
    disk_->remove(dir / evicted_.front());
    evicted_.pop_front();
  }
}

}  // namespace liveorigin::hls
