// The config in force, shared by every connection, the API and the notifier.
#pragma once

#include <atomic>
#include <memory>

#include "liveorigin/config/config.hpp"

namespace liveorigin::config {

// The config in force. A reload swaps in a new snapshot; a connection keeps the snapshot it
// started with, so live sessions are never changed under their feet.
class ConfigStore {
 public:
  explicit ConfigStore(Config initial) : current_(std::make_shared<const Config>(std::move(initial))) {}
  std::shared_ptr<const Config> get() const { return current_.load(); }
  void set(Config next) { current_.store(std::make_shared<const Config>(std::move(next))); }

 private:
  std::atomic<std::shared_ptr<const Config>> current_;
};

}  // namespace liveorigin::config
