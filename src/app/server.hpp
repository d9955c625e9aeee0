// The composition root: builds the hub, the shards and the listeners from one config, and owns
// the process's life (signals: HUP reloads, INT/TERM shut down gracefully).
#pragma once

#include <memory>
#include <string>

#include "liveorigin/config/config.hpp"

namespace liveorigin::app {

class Server {
 public:
  Server(config::Config config, std::string config_path);
  ~Server();
  // Serves until SIGINT/SIGTERM; returns the process exit code.
  int run();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace liveorigin::app
