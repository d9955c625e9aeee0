#include "liveorigin/hub/registry.hpp"

namespace liveorigin::hub {

void LocalRegistry::claim(ClaimRequest request, std::function<void(ClaimResult)> done) {
  ClaimResult result;
  {
    std::lock_guard lock(mutex_);
    const auto it = holders_.find(request.key);
    if (it == holders_.end()) {
      // max_streams is checked in the same step as the insert, so two claims cannot both pass it.
      if (request.max_streams > 0 && holders_.size() >= request.max_streams) {
        result.outcome = ClaimResult::Outcome::max_streams;
        result.held = holders_.size();
      } else {
        result.outcome = ClaimResult::Outcome::granted;
        result.epoch = next_epoch_++;
        holders_.emplace(request.key, Holder{result.epoch, request.publisher, std::move(request.last_media)});
      }
    } else if (it->second.last_media && it->second.last_media() < request.stale_before) {
      // The stale publisher rule: the new holder replaces the silent one in one step, so the name
      // is never free in between.
      result.outcome = ClaimResult::Outcome::granted;
      result.epoch = next_epoch_++;
      result.replaced = it->second.publisher;
      it->second = Holder{result.epoch, request.publisher, std::move(request.last_media)};
    }
  }
  done(std::move(result));  // outside the lock: the continuation may claim or release
}

void LocalRegistry::renew(const StreamKey& key, std::uint64_t epoch, std::function<void(bool)> done) {
  bool held = false;
  {
    std::lock_guard lock(mutex_);
    const auto it = holders_.find(key);
    held = it != holders_.end() && it->second.epoch == epoch;
  }
  done(held);
}

void LocalRegistry::release(const StreamKey& key, std::uint64_t epoch) {
  std::lock_guard lock(mutex_);
  if (const auto it = holders_.find(key); it != holders_.end() && it->second.epoch == epoch) holders_.erase(it);
}

std::size_t LocalRegistry::size() const {
  std::lock_guard lock(mutex_);
  return holders_.size();
}

}  // namespace liveorigin::hub
