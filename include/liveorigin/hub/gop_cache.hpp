// What a late joiner needs to start at once: metadata, the latest sequence header of every track
// (enhanced RTMP multitrack streams have several) and the packets since the latest video key frame.
#pragma once

#include <cstddef>
#include <vector>

#include "liveorigin/media/packet.hpp"

namespace liveorigin::hub {

class GopCache {
 public:
  // gop_enabled false keeps only metadata and sequence headers. A GOP larger than max_bytes is
  // dropped (late joiners then wait for the next key frame) rather than growing without bound.
  explicit GopCache(bool gop_enabled = true, std::size_t max_bytes = 32u << 20);

  void add(const media::PacketPtr& packet);
  void clear_gop();
  // Metadata, every track's sequence header (in the order the tracks first sent one), then the GOP
  // in arrival order.
  std::vector<media::PacketPtr> snapshot() const;

  const media::PacketPtr& metadata() const { return metadata_; }
  // The default tracks' (track 0) sequence headers; null before one arrived.
  media::PacketPtr video_header() const { return config_of(media::MediaType::video, 0); }
  media::PacketPtr audio_header() const { return config_of(media::MediaType::audio, 0); }
  std::size_t gop_packets() const { return gop_.size(); }

 private:
  bool gop_enabled_;
  std::size_t max_bytes_;
  media::PacketPtr metadata_;
  media::PacketPtr config_of(media::MediaType type, std::uint8_t track_id) const;

  // At most 2 x 256 (media type, track id) entries: a linear search is cheapest.
  std::vector<media::PacketPtr> configs_;
  std::vector<media::PacketPtr> gop_;
  std::size_t gop_bytes_ = 0;
  bool seen_keyframe_ = false;
};

}  // namespace liveorigin::hub
