// Counts a live connection in the server's stats (in total and per peer address) for as long as
// it exists.
#pragma once

#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {

class ConnectionCount {
 public:
  ConnectionCount(ServerStats& stats, const boost::asio::ip::tcp::socket& socket) : stats_(stats) {
    ++stats_.connections;
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (!ec) {
      ip_ = peer.address().to_string();
      stats_.peers.add(ip_);
    }
  }
  ~ConnectionCount() {
    --stats_.connections;
    if (!ip_.empty()) stats_.peers.remove(ip_);
  }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;

 private:
  ServerStats& stats_;
  std::string ip_;
};

}  // namespace liveorigin::net
