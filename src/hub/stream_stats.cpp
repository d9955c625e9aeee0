#include "liveorigin/hub/stream_stats.hpp"

#include "liveorigin/hub/usage_meter.hpp"

namespace liveorigin::hub {

namespace {
constexpr std::uint8_t kKeyFrameType = 1;

bool missing_size(const media::VideoInfo& info) {
  return (info.codec == media::Codec::av1 || info.codec == media::Codec::vp9) && info.width == 0;
}
}  // namespace

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

void StreamStats::count_track_bytes(const media::Packet& packet) {
  const bool video = packet.is_video();
  const auto add = [&](std::uint8_t id, std::size_t n) {
    if (id < kCountedTracks) track_bytes_[track_slot(video, id)].fetch_add(n, std::memory_order_relaxed);
  };
  if (!packet.multitrack) {
    add(0, packet.body().size());
    return;
  }
  const auto visit = [&](const media::TagTrack& t) {
    add(t.track_id, t.payload.size());
    return true;
  };
  if (video) {
    media::for_each_video_track(packet.body(), visit);
  } else {
    media::for_each_audio_track(packet.body(), visit);
  }
}

void StreamStats::on_packet(const media::Packet& packet) {
  const auto body = packet.body();
  if (usage_) usage_->add_bytes_in(body.size());
  if (packet.is_video() || packet.is_audio()) count_track_bytes(packet);
  if (packet.is_video()) {
    video_bytes_.fetch_add(body.size(), std::memory_order_relaxed);
    // The frame rate is the default track's: a multitrack stream sends each frame once per track.
    if (!packet.track_config && packet.track_id == 0) video_frames_.fetch_add(1, std::memory_order_relaxed);
    const bool key = !body.empty() && (body[0] >> 4 & 0x07) == kKeyFrameType;
    if (packet.track_config || (key && sizes_missing_.load(std::memory_order_relaxed) > 0)) {
      read_video_tracks(packet);
    }
  } else if (packet.is_audio()) {
    audio_bytes_.fetch_add(body.size(), std::memory_order_relaxed);
    // Configs when they come; codecs without one (MP3, AC-3, legacy ones): the first frame tells.
    if (packet.track_config || !audio_known_.load(std::memory_order_relaxed)) read_audio_tracks(packet);
  }
}

StreamStats::Track& StreamStats::track(std::uint8_t id, bool video) {
  for (auto& t : tracks_) {
    if (t.id == id && t.video == video) return t;
  }
  Track& t = tracks_.emplace_back();
  t.id = id;
  t.video = video;
  return t;
}

void StreamStats::read_video_tracks(const media::Packet& packet) {
  const bool multitrack = media::read_video_tag(packet.body()).multitrack;
  std::lock_guard lock(info_mutex_);
  multitrack_ = multitrack_ || multitrack;
  media::for_each_video_track(packet.body(), [&](const media::TagTrack& t) {
    auto& known = track(t.track_id, true).video_info;
    const bool config = t.packet == media::TagPacket::sequence_start;
    if (!config && !missing_size(known)) return true;  // a key frame of a track that needs none
    auto info = media::video_track_info(t);
    if (!info) {
      if (!config) return true;
      info.emplace().codec = t.codec;  // the FourCC at least
    } else if (!config) {
      // A key frame completes the config's size; keep the config's profile and level if it had them.
      if (info->profile.empty()) info->profile = known.profile;
      if (info->level == 0) info->level = known.level;
    }
    known = *info;
    if (t.track_id == 0) video_ = *info;
    return true;
  });
  int missing = 0;
  for (const auto& t : tracks_) missing += t.video && missing_size(t.video_info);
  sizes_missing_.store(missing, std::memory_order_relaxed);
}

void StreamStats::read_audio_tracks(const media::Packet& packet) {
  const auto tag = media::read_audio_tag(packet.body());
  std::lock_guard lock(info_mutex_);
  multitrack_ = multitrack_ || tag.multitrack;
  media::for_each_audio_track(packet.body(), [&](const media::TagTrack& t) {
    auto info = media::audio_track_info(t, tag.sound_flags);
    auto& known = track(t.track_id, false).audio_info;
    if (!info) {
      if (known.codec != media::Codec::none || t.packet != media::TagPacket::sequence_start) return true;
      info.emplace().codec = t.codec;
    }
    known = *info;
    if (t.track_id == 0) {
      audio_ = *info;
      audio_known_.store(true, std::memory_order_relaxed);
    }
    return true;
  });
}

std::vector<StreamStats::Track> StreamStats::tracks() const {
  std::lock_guard lock(info_mutex_);
  return multitrack_ ? tracks_ : std::vector<Track>{};
}

StreamStats::Counters StreamStats::counters() const {
  Counters c{video_bytes_.load(std::memory_order_relaxed), audio_bytes_.load(std::memory_order_relaxed),
             video_frames_.load(std::memory_order_relaxed), bytes_out_.load(std::memory_order_relaxed), {}};
  for (std::size_t i = 0; i < c.track_bytes.size(); ++i) c.track_bytes[i] = track_bytes_[i].load(std::memory_order_relaxed);
  return c;
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
