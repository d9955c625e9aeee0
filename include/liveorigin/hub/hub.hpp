// The stream registry: which streams are live, and the rule of one publisher per stream.
// In-process today; the interface is small so that a shared registry can stand behind it later.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "liveorigin/hub/stream.hpp"

namespace liveorigin::hub {

class Hub {
 public:
  using Clock = std::chrono::steady_clock;

  // Creates the stream for a new publisher on `loop`; nullptr when it already has a publisher.
  std::shared_ptr<Stream> claim(const StreamKey& key, Loop& loop, PublisherInfo publisher,
                                StreamOptions options);

  struct Claim {
    std::shared_ptr<Stream> stream;    // the new publisher's stream; null when refused
    std::shared_ptr<Stream> replaced;  // the stream taken over: its publisher is to be cut
  };
  // claim, except that a live stream whose publisher has sent no media since `stale_before`
  // (limits.stale_publisher ago) is taken over: the new stream replaces it in the registry in the
  // same step, so there is never a moment with two publishers or none. A publisher that is still
  // sending keeps its stream and the claim is refused.
  Claim claim_or_take_over(const StreamKey& key, Loop& loop, PublisherInfo publisher, StreamOptions options,
                           Clock::time_point stale_before);
  // Removes the stream if it is still the registered one (a newer publisher is left alone).
  void release(const Stream& stream);
  std::shared_ptr<Stream> find(const StreamKey& key) const;
  std::vector<std::shared_ptr<Stream>> streams() const;

 private:
  mutable std::mutex mutex_;  // registry changes are rare (publish, unpublish, lookups on join)
  std::map<StreamKey, std::shared_ptr<Stream>> streams_;
};

}  // namespace liveorigin::hub
