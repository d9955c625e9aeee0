// A player's bounded queue and its drop policy: a slow player never makes the server buffer
// without bound and never slows the others.
//
// Policy: when the queued media spans more than max_duration (or exceeds max_bytes), everything
// queued except metadata and sequence headers is dropped and video resumes at the next key frame.
// Video before the first key frame is never sent, so every player starts on a decodable picture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "liveorigin/media/packet.hpp"

namespace liveorigin::hub {

class PlayerQueue {
 public:
  struct Options {
    std::uint32_t max_duration_ms = 4000;
    std::size_t max_bytes = 16u << 20;
  };

  explicit PlayerQueue(Options options);

  void push(const media::PacketPtr& packet);
  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }
  std::size_t bytes() const { return bytes_; }
  // Moves packets from the front into `out` until max_packets or max_bytes is reached (at least one).
  void take(std::vector<media::PacketPtr>& out, std::size_t max_packets, std::size_t max_bytes);

  std::uint64_t dropped_packets() const { return dropped_packets_; }
  std::uint64_t skips() const { return skips_; }

 private:
  bool over_limit() const;
  void skip_to_next_keyframe();

  Options options_;
  std::deque<media::PacketPtr> queue_;
  std::size_t bytes_ = 0;
  bool waiting_for_keyframe_ = true;
  std::uint64_t dropped_packets_ = 0;
  std::uint64_t skips_ = 0;
};

}  // namespace liveorigin::hub
