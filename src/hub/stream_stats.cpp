#include "liveorigin/hub/stream_stats.hpp"

#include "liveorigin/hub/usage_meter.hpp"

namespace liveorigin::hub {

void StreamStats::add_bytes_out(PlayProtocol protocol, std::uint64_t n) {
  bytes_out_.fetch_add(n, std::memory_order_relaxed);
  if (usage_) usage_->add_bytes_out(static_cast<std::size_t>(protocol), n);
}

void StreamStats::add_player(PlayProtocol protocol, int delta) {
  players_[static_cast<std::size_t>(protocol)].fetch_add(delta, std::memory_order_relaxed);
  if (!usage_) return;
  if (delta > 0) {
    usage_->player_joined(protocol, unix_ms());
  } else {
    usage_->player_left(protocol, unix_ms());
  }
}

void StreamStats::on_packet(const media::Packet& packet) {
  const auto size = packet.body().size();
  if (usage_) usage_->add_bytes_in(size);
  if (packet.is_video()) {
    video_bytes_.fetch_add(size, std::memory_order_relaxed);
    if (packet.sequence_header) {
      if (auto info = media::parse_video_sequence_header(packet)) {
        std::lock_guard lock(info_mutex_);
        video_ = *info;
      }
    } else {
      video_frames_.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (packet.is_audio()) {
    audio_bytes_.fetch_add(size, std::memory_order_relaxed);
    // AAC: its sequence header; legacy codecs have none, so the first packet's flags tell.
    if (packet.sequence_header || !audio_known_.load(std::memory_order_relaxed)) {
      if (auto info = media::parse_audio_sequence_header(packet)) {
        std::lock_guard lock(info_mutex_);
        audio_ = *info;
        audio_known_.store(true, std::memory_order_relaxed);
      }
    }
  }
}

StreamStats::Counters StreamStats::counters() const {
  return {video_bytes_.load(std::memory_order_relaxed), audio_bytes_.load(std::memory_order_relaxed),
          video_frames_.load(std::memory_order_relaxed), bytes_out_.load(std::memory_order_relaxed)};
}

std::optional<media::VideoInfo> StreamStats::video() const {
  std::lock_guard lock(info_mutex_);
  return video_;
}

std::optional<media::AudioInfo> StreamStats::audio() const {
  std::lock_guard lock(info_mutex_);
  return audio_;
}

}  // namespace liveorigin::hub
