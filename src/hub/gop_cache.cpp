#include "liveorigin/hub/gop_cache.hpp"

namespace liveorigin::hub {

GopCache::GopCache(bool gop_enabled, std::size_t max_bytes)
    : gop_enabled_(gop_enabled), max_bytes_(max_bytes) {}

void GopCache::add(const media::PacketPtr& packet) {
  if (packet->type == media::MediaType::data) {
    metadata_ = packet;  // only onMetaData reaches here as data worth caching (see Stream)
    return;
  }
  if (packet->track_config) {
    for (auto& config : configs_) {
      if (config->type == packet->type && config->track_id == packet->track_id) {
        config = packet;
        return;
      }
    }
    configs_.push_back(packet);
    return;
  }
  if (!gop_enabled_) return;
  if (packet->is_video() && packet->keyframe) {
    gop_.clear();
    gop_bytes_ = 0;
    seen_keyframe_ = true;
  }
  // Audio-only streams have no key frames: nothing to replay, players start on live audio.
  if (!seen_keyframe_) return;
  gop_.push_back(packet);
  gop_bytes_ += packet->flv_tag.size();
  if (gop_bytes_ > max_bytes_) {
    clear_gop();
  }
}

void GopCache::clear_gop() {
  gop_.clear();
  gop_bytes_ = 0;
  seen_keyframe_ = false;
}

std::vector<media::PacketPtr> GopCache::snapshot() const {
  std::vector<media::PacketPtr> out;
  out.reserve(gop_.size() + configs_.size() + 1);
  if (metadata_) out.push_back(metadata_);
  out.insert(out.end(), configs_.begin(), configs_.end());
  out.insert(out.end(), gop_.begin(), gop_.end());
  return out;
}

media::PacketPtr GopCache::config_of(media::MediaType type, std::uint8_t track_id) const {
  for (const auto& config : configs_) {
    if (config->type == type && config->track_id == track_id) return config;
  }
  return nullptr;
}

}  // namespace liveorigin::hub
