#include "liveorigin/hub/hub.hpp"

namespace liveorigin::hub {

std::shared_ptr<Stream> Hub::claim(const StreamKey& key, Loop& loop, PublisherInfo publisher,
                                   StreamOptions options) {
  return claim_or_take_over(key, loop, std::move(publisher), options, Clock::time_point::min()).stream;
}

Hub::Claim Hub::claim_or_take_over(const StreamKey& key, Loop& loop, PublisherInfo publisher,
                                   StreamOptions options, Clock::time_point stale_before) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = streams_.try_emplace(key);
  Claim claim;
  if (!inserted) {
    if (it->second->last_media() >= stale_before) return claim;
    claim.replaced = std::move(it->second);
  }
  it->second = std::make_shared<Stream>(key, loop, std::move(publisher), options);
  claim.stream = it->second;
  return claim;
}

void Hub::release(const Stream& stream) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(stream.key());
  if (it != streams_.end() && it->second.get() == &stream) streams_.erase(it);
}

std::shared_ptr<Stream> Hub::find(const StreamKey& key) const {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(key);
  return it == streams_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Stream>> Hub::streams() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Stream>> out;
  out.reserve(streams_.size());
  for (const auto& [key, stream] : streams_) out.push_back(stream);
  return out;
}

}  // namespace liveorigin::hub
