#include "liveorigin/hub/player_queue.hpp"

#include <algorithm>

namespace liveorigin::hub {

namespace {
bool is_header(const media::Packet& p) {
  return p.sequence_header || p.type == media::MediaType::data;
}
}  // namespace

PlayerQueue::PlayerQueue(Options options) : options_(options) {}

void PlayerQueue::push(const media::PacketPtr& packet) {
  if (packet->is_video() && !packet->sequence_header && waiting_for_keyframe_) {
    if (!packet->keyframe) {
      ++dropped_packets_;
      return;
    }
    waiting_for_keyframe_ = false;
  }
  queue_.push_back(packet);
  bytes_ += packet->flv_tag.size();
  if (over_limit()) skip_to_next_keyframe();
}

bool PlayerQueue::over_limit() const {
  if (bytes_ > options_.max_bytes) return true;
  // The span is measured over media: headers kept after a skip carry old timestamps. They sit
  // at the front and are few, so the scan is short.
  auto first = std::find_if(queue_.begin(), queue_.end(), [](const auto& p) { return !is_header(*p); });
  if (first == queue_.end()) return false;
  // Timestamps that go backwards (a broken publisher) leave only the byte bound in force.
  const std::int64_t span = std::int64_t(queue_.back()->timestamp) - (*first)->timestamp;
  return span > std::int64_t(options_.max_duration_ms);
}

void PlayerQueue::skip_to_next_keyframe() {
  std::deque<media::PacketPtr> kept;
  std::size_t kept_bytes = 0;
  for (auto& p : queue_) {
    if (is_header(*p)) {
      kept_bytes += p->flv_tag.size();
      kept.push_back(std::move(p));
    } else {
      ++dropped_packets_;
    }
  }
  queue_ = std::move(kept);
  bytes_ = kept_bytes;
  waiting_for_keyframe_ = true;
  ++skips_;
}

void PlayerQueue::take(std::vector<media::PacketPtr>& out, std::size_t max_packets,
                       std::size_t max_bytes) {
  std::size_t taken_bytes = 0;
  std::size_t taken = 0;
  while (!queue_.empty() && taken < max_packets) {
    const std::size_t size = queue_.front()->flv_tag.size();
    if (taken > 0 && taken_bytes + size > max_bytes) break;
    taken_bytes += size;
    bytes_ -= size;
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
    ++taken;
  }
}

}  // namespace liveorigin::hub
