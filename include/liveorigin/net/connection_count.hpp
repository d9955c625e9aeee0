// Counts a live connection in the server's stats for as long as it exists.
#pragma once

#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {

class ConnectionCount {
 public:
  explicit ConnectionCount(ServerStats& stats) : stats_(stats) { ++stats_.connections; }
  ~ConnectionCount() { --stats_.connections; }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;

 private:
  ServerStats& stats_;
};

}  // namespace liveorigin::net
