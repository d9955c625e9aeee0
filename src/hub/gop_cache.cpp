#include "liveorigin/hub/gop_cache.hpp"

namespace liveorigin::hub {

GopCache::GopCache(bool gop_enabled, std::size_t max_bytes)
    : gop_enabled_(gop_enabled), max_bytes_(max_bytes) {}

void GopCache::add(const media::PacketPtr& packet) {
  if (packet->type == media::MediaType::data) {
    metadata_ = packet;  // only onMetaData reaches here as data worth caching (see Stream)
    return;
  }
  if (packet->sequence_header) {
    (packet->is_video() ? video_header_ : audio_header_) = packet;
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
  out.reserve(gop_.size() + 3);
  for (const auto* p : {&metadata_, &video_header_, &audio_header_}) {
    if (*p) out.push_back(*p);
  }
  out.insert(out.end(), gop_.begin(), gop_.end());
  return out;
}

}  // namespace liveorigin::hub
