// The local streams of this node and the way into them: Hub::publish, the one call every source of
// packets uses (an RTMP publisher today). Who owns a name is the StreamRegistry's to say; the Hub
// keeps the Stream objects, tells the observers, and hands out Publications.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "liveorigin/config/config.hpp"
#include "liveorigin/hub/publication.hpp"
#include "liveorigin/hub/registry.hpp"
#include "liveorigin/hub/stream.hpp"
#include "liveorigin/hub/stream_observer.hpp"
#include "liveorigin/hub/usage_meter.hpp"

namespace liveorigin::hub {

struct PublishRequest {
  StreamKey key;
  Loop* loop = nullptr;  // the source's loop: the stream lives there
  PublisherInfo publisher;
  StreamOptions options;
  std::shared_ptr<const config::Config> config;  // the source's snapshot (limits, and for observers)
  const config::AppConfig* app = nullptr;        // in `config`
  std::map<std::string, std::string> query;      // what the observers see (callbacks, recording)
  // How the hub reaches the source to stop it (API drop/disable, takeover "replaced"); on `loop`.
  std::function<void(const std::string& reason)> on_stop;
};

struct PublishResult {
  ClaimResult claim;        // refused unless claim.granted()
  Publication publication;  // set when granted
};

class Hub {
 public:
  using Clock = std::chrono::steady_clock;

  Hub();                                     // with an in-process LocalRegistry
  explicit Hub(StreamRegistry& registry);    // a registry shared with other nodes
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Composition root, before any publish: told of every publication's start and end, in order.
  void add_observer(StreamObserver* observer) { observers_.push_back(observer); }

  // Claims the name (max_streams and the stale publisher takeover are decided in the claim), then
  // creates the stream on request.loop, stops a replaced publisher ("replaced"), calls on_publish
  // and gives `done` the Publication. `done` runs on request.loop: at once with a local registry.
  // A pull (request.publisher.pulled()) claims nothing in the registry: the owner holds the name.
  // It is refused (busy) when the name is live here, and a local publisher later replaces it.
  void publish(PublishRequest request, std::function<void(PublishResult)> done);

  // The claim alone, for a registry that answers at once (the local one): the stream is created
  // and registered, no observer is told.
  std::shared_ptr<Stream> claim(const StreamKey& key, Loop& loop, PublisherInfo publisher,
                                StreamOptions options);
  struct Claim {
    std::shared_ptr<Stream> stream;    // the new publisher's stream; null when refused
    std::shared_ptr<Stream> replaced;  // the stream taken over: its publisher is to be cut
  };
  // claim, except that a live stream whose publisher has sent no media since `stale_before` is
  // taken over in the same step, so there is never a moment with two publishers or none.
  Claim claim_or_take_over(const StreamKey& key, Loop& loop, PublisherInfo publisher, StreamOptions options,
                           Clock::time_point stale_before);
  // Removes the stream if it is still the registered one (a newer publisher is left alone) and
  // gives its name back to the registry.
  void release(const Stream& stream);
  std::shared_ptr<Stream> find(const StreamKey& key) const;
  std::vector<std::shared_ptr<Stream>> streams() const;
  // Usage for billing: every stream the hub creates counts into it; players and downloads too.
  UsageMeter& usage() { return usage_; }

 private:
  friend class Publication;
  ClaimRequest claim_request(const std::shared_ptr<Stream>& stream, std::size_t max_streams,
                             Clock::time_point stale_before) const;
  // A pull's claim: granted unless the name is live here.
  ClaimResult pull_claim(const StreamKey& key) const;
  // Registers a granted stream locally; returns the stream it replaced, if any.
  std::shared_ptr<Stream> adopt(const std::shared_ptr<Stream>& stream, std::uint64_t epoch);
  void granted(PublishRequest& request, std::shared_ptr<Stream> stream, ClaimResult claim,
               const std::function<void(PublishResult)>& done);
  void ended(Stream& stream, const std::string& reason);

  std::unique_ptr<LocalRegistry> own_registry_;
  StreamRegistry& registry_;
  std::vector<StreamObserver*> observers_;

  struct Local {
    std::shared_ptr<Stream> stream;
    std::uint64_t epoch = 0;  // 0 for a pull: nothing to release in the registry
  };
  UsageMeter usage_;
  mutable std::mutex mutex_;  // taken on publish, unpublish and lookups on join, never per packet
  std::map<StreamKey, Local> streams_;
};

}  // namespace liveorigin::hub
