#include "liveorigin/hub/stream_stats.hpp"

namespace liveorigin::hub {

void StreamStats::on_packet(const media::Packet& packet) {
  const auto size = packet.body().size();
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
