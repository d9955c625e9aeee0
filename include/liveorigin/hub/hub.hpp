// The stream registry: which streams are live, and the rule of one publisher per stream.
// In-process today; the interface is small so that a shared registry can stand behind it later.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "liveorigin/hub/stream.hpp"

namespace liveorigin::hub {

class Hub {
 public:
  // Creates the stream for a new publisher on `loop`; nullptr when it already has a publisher.
  std::shared_ptr<Stream> claim(const StreamKey& key, Loop& loop, PublisherInfo publisher,
                                StreamOptions options);
  // Removes the stream if it is still the registered one (a newer publisher is left alone).
  void release(const Stream& stream);
  std::shared_ptr<Stream> find(const StreamKey& key) const;
  std::vector<std::shared_ptr<Stream>> streams() const;

 private:
  mutable std::mutex mutex_;  // registry changes are rare (publish, unpublish, lookups on join)
  std::map<StreamKey, std::shared_ptr<Stream>> streams_;
};

}  // namespace liveorigin::hub
