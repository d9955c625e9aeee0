// Something that receives a stream's packets: a player connection, later a segmenter or recorder.
#pragma once

#include "liveorigin/media/packet.hpp"

namespace liveorigin::hub {

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called on the loop the subscriber joined from, in stream order. The first calls replay the
  // stream's caches (metadata, sequence headers, the current GOP), then live packets follow.
  virtual void on_packet(const media::PacketPtr& packet) = 0;
  // The publisher left or was cut: no packet follows.
  virtual void on_stream_end() = 0;
};

}  // namespace liveorigin::hub
