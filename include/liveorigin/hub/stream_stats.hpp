// What the API shows about a live stream: track info from its sequence headers, byte and frame
// counters, players per protocol. Written from the publisher's loop (per packet: relaxed atomic
// adds only) and by players; read from the API thread at any time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "liveorigin/media/codec_info.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::hub {

enum class PlayProtocol { rtmp, flv, hls };
inline constexpr std::size_t kPlayProtocols = 3;

class StreamUsage;

class StreamStats {
 public:
  // usage: the stream's billing counters (hub::UsageMeter); null counts nothing there.
  explicit StreamStats(std::shared_ptr<StreamUsage> usage = nullptr) : usage_(std::move(usage)) {}

  // Bytes are counted per track for track ids below this (a track's payload in a Multitrack tag;
  // a whole plain tag counts for track 0).
  static constexpr std::size_t kCountedTracks = 8;

  struct Counters {
    std::uint64_t video_bytes = 0, audio_bytes = 0, video_frames = 0, bytes_out = 0;
    // Bytes per track: video tracks 0..kCountedTracks-1, then audio tracks.
    std::array<std::uint64_t, 2 * kCountedTracks> track_bytes{};
  };
  static constexpr std::size_t track_slot(bool video, std::uint8_t id) { return (video ? 0 : kCountedTracks) + id; }

  // On the publisher's loop, for every packet. Sequence headers (rare) are parsed here.
  void on_packet(const media::Packet& packet);
  // Bytes written to a player of this stream (after each write, not per packet).
  void add_bytes_out(PlayProtocol protocol, std::uint64_t n);
  // A player joins (+1) or leaves (-1).
  void add_player(PlayProtocol protocol, int delta);

  // Any thread.
  Counters counters() const;
  int players(PlayProtocol protocol) const {
    return players_[static_cast<std::size_t>(protocol)].load(std::memory_order_relaxed);
  }
  // The default tracks (track 0).
  std::optional<media::VideoInfo> video() const;
  std::optional<media::AudioInfo> audio() const;

  // Every track of an enhanced RTMP multitrack stream, in the order they appeared (empty for a
  // stream that never sent a Multitrack tag). Codec from the FourCC; the rest once known.
  struct Track {
    std::uint8_t id = 0;
    bool video = false;
    media::VideoInfo video_info;
    media::AudioInfo audio_info;
  };
  std::vector<Track> tracks() const;

 private:
  std::atomic<std::uint64_t> video_bytes_{0}, audio_bytes_{0}, video_frames_{0}, bytes_out_{0};
  std::array<std::atomic<int>, kPlayProtocols> players_{};
  std::array<std::atomic<std::uint64_t>, 2 * kCountedTracks> track_bytes_{};
  void count_track_bytes(const media::Packet& packet);
  void read_video_tracks(const media::Packet& packet);
  void read_audio_tracks(const media::Packet& packet);
  Track& track(std::uint8_t id, bool video);  // under info_mutex_

  std::atomic<bool> audio_known_{false};  // audio without configs: parse one frame only
  // Video tracks whose size only key frames tell (AV1, VP9) and is not known yet.
  std::atomic<int> sizes_missing_{0};
  mutable std::mutex info_mutex_;         // taken on sequence headers and API reads only
  std::optional<media::VideoInfo> video_;
  std::optional<media::AudioInfo> audio_;
  const std::shared_ptr<StreamUsage> usage_;
  bool multitrack_ = false;
  std::vector<Track> tracks_;
};

// Counts one player of a stream for as long as it lives (movable, RAII).
class PlayerCount {
 public:
  PlayerCount() = default;
  PlayerCount(std::shared_ptr<StreamStats> stats, PlayProtocol protocol)
      : stats_(std::move(stats)), protocol_(protocol) {
    if (stats_) stats_->add_player(protocol_, 1);
  }
  PlayerCount(PlayerCount&& other) noexcept
      : stats_(std::move(other.stats_)), protocol_(other.protocol_) {}
  PlayerCount& operator=(PlayerCount&& other) noexcept {
    if (this != &other) {
      reset();
      stats_ = std::move(other.stats_);
      protocol_ = other.protocol_;
    }
    return *this;
  }
  ~PlayerCount() { reset(); }
  void reset() {
    if (stats_) stats_->add_player(protocol_, -1);
    stats_.reset();
  }
  StreamStats* stats() const { return stats_.get(); }
  void add_bytes_out(std::uint64_t n) {
    if (stats_) stats_->add_bytes_out(protocol_, n);
  }

 private:
  std::shared_ptr<StreamStats> stats_;
  PlayProtocol protocol_ = PlayProtocol::rtmp;
};

}  // namespace liveorigin::hub
