// What every connection needs from the server: the hub, the current config snapshot, the shards.
// Built once in the composition root and passed by reference; no globals.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "liveorigin/config/config.hpp"
#include "liveorigin/hub/hub.hpp"
#include "liveorigin/net/stream_observer.hpp"

namespace liveorigin::net {

class Shards;

// The config in force. A reload swaps in a new snapshot; a connection keeps the snapshot it
// started with, so live sessions are never changed under their feet.
class ConfigStore {
 public:
  explicit ConfigStore(config::Config initial)
      : current_(std::make_shared<const config::Config>(std::move(initial))) {}
  std::shared_ptr<const config::Config> get() const { return current_.load(); }
  void set(config::Config next) { current_.store(std::make_shared<const config::Config>(std::move(next))); }

 private:
  std::atomic<std::shared_ptr<const config::Config>> current_;
};

struct ServerStats {
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
};

struct ServerContext {
  hub::Hub& hub;
  ConfigStore& config;
  Shards& shards;
  ServerStats stats;
  std::vector<StreamObserver*> observers;  // registered by the composition root before start
};

}  // namespace liveorigin::net
