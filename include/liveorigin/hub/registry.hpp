// Who owns a stream name: the rule of one publisher per APP/STREAM, apart from the local Stream
// objects (Hub). The claim is asynchronous so that a shared registry (one per cluster, e.g. on
// Redis) can answer later; LocalRegistry, the in-process one, answers at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "liveorigin/hub/stream.hpp"

namespace liveorigin::hub {

using RegistryClock = std::chrono::steady_clock;

struct ClaimRequest {
  StreamKey key;
  PublisherInfo publisher;
  // Names held at most (limits.max_streams); a takeover adds none, so it is not refused by it.
  std::size_t max_streams = 0;
  // A holder whose last media is older than this is replaced (limits.stale_publisher ago).
  RegistryClock::time_point stale_before = RegistryClock::time_point::min();
  // When the claimant last sent media, asked while it holds the name (the stale rule). A shared
  // registry publishes it on renew, so that other nodes can apply the rule.
  std::function<RegistryClock::time_point()> last_media;
  // Called (any thread) when a shared registry finds the name taken from this holder behind its
  // back (its renew found another epoch): the holder is to stop with this reason ("replaced").
  std::function<void(const std::string& reason)> on_lost;
};

struct ClaimResult {
  // unavailable: a shared registry cannot be reached, so nobody can tell who owns the name.
  enum class Outcome { granted, busy, max_streams, unavailable };
  Outcome outcome = Outcome::busy;
  // Fencing token: grows with every grant of the name, so a holder replaced behind its back
  // cannot renew or release the new holder's claim.
  std::uint64_t epoch = 0;
  std::optional<PublisherInfo> replaced;  // granted by taking over a stale holder
  std::size_t held = 0;                    // names held when refused for max_streams (the log line)
  std::string holder;                      // who holds the name when busy on another node (the log line)
  bool granted() const { return outcome == Outcome::granted; }
};

class StreamRegistry {
 public:
  virtual ~StreamRegistry() = default;
  // `done` runs exactly once, on any thread (at once for an in-process registry).
  virtual void claim(ClaimRequest request, std::function<void(ClaimResult)> done) = 0;
  // done(false) when `epoch` no longer holds the name (taken over): the holder is to stop. `done`
  // runs exactly once, on any thread; a shared registry also renews by itself (ClaimRequest::on_lost).
  virtual void renew(const StreamKey& key, std::uint64_t epoch, std::function<void(bool)> done) = 0;
  // Gives the name up if `epoch` still holds it; a replaced holder's release changes nothing.
  virtual void release(const StreamKey& key, std::uint64_t epoch) = 0;
  virtual std::size_t size() const = 0;
};

// In-process: a map under a mutex taken on claim, renew and release only, never per packet.
class LocalRegistry final : public StreamRegistry {
 public:
  void claim(ClaimRequest request, std::function<void(ClaimResult)> done) override;
  void renew(const StreamKey& key, std::uint64_t epoch, std::function<void(bool)> done) override;
  void release(const StreamKey& key, std::uint64_t epoch) override;
  std::size_t size() const override;

 private:
  struct Holder {
    std::uint64_t epoch;
    PublisherInfo publisher;
    std::function<RegistryClock::time_point()> last_media;
  };
  mutable std::mutex mutex_;
  std::map<StreamKey, Holder> holders_;
  std::uint64_t next_epoch_ = 1;  // one sequence for every name: simple, and still increasing per name
};

}  // namespace liveorigin::hub
