// What a late joiner needs to start at once: metadata, the latest sequence headers and the
// packets since the latest video key frame.
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
  // Metadata, video and audio sequence headers, then the GOP in arrival order.
  std::vector<media::PacketPtr> snapshot() const;

  const media::PacketPtr& metadata() const { return metadata_; }
  const media::PacketPtr& video_header() const { return video_header_; }
  const media::PacketPtr& audio_header() const { return audio_header_; }
  std::size_t gop_packets() const { return gop_.size(); }

 private:
  bool gop_enabled_;
  std::size_t max_bytes_;
  media::PacketPtr metadata_;
  media::PacketPtr video_header_;
  media::PacketPtr audio_header_;
  std::vector<media::PacketPtr> gop_;
  std::size_t gop_bytes_ = 0;
  bool seen_keyframe_ = false;
};

}  // namespace liveorigin::hub
