// An output that receives every packet of a stream on the stream's own loop: the HLS segmenter,
// a recorder. (Players read through a Fanout instead: hub/fanout.hpp.)
#pragma once

#include "liveorigin/media/packet.hpp"

namespace liveorigin::hub {

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called on the stream's loop, in stream order.
  virtual void on_packet(const media::PacketPtr& packet) = 0;
  // The publisher left or was cut: no packet follows.
  virtual void on_stream_end() = 0;
};

}  // namespace liveorigin::hub
