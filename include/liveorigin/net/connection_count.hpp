// Open connections in total and per peer address: counted for as long as a connection exists,
// checked against limits.max_connections and max_connections_per_ip when one is accepted.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "liveorigin/config/config.hpp"
#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {

class ConnectionCount {
 public:
  // The media listeners' tally (RTMP + HTTP): ServerStats::connections and ::peers.
  ConnectionCount(ServerStats& stats, const boost::asio::ip::tcp::socket& socket)
      : ConnectionCount(stats.connections, stats.peers, socket) {}
  // Another tally (the API keeps its own).
  ConnectionCount(std::atomic<std::int64_t>& total, PeerConnections& peers,
                  const boost::asio::ip::tcp::socket& socket)
      : total_(total), peers_(peers) {
    ++total_;
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (!ec) {
      ip_ = peer.address().to_string();
      peers_.add(ip_);
    }
  }
  ~ConnectionCount() {
    --total_;
    if (!ip_.empty()) peers_.remove(ip_);
  }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;

 private:
  std::atomic<std::int64_t>& total_;
  PeerConnections& peers_;
  std::string ip_;
};

// At accept: whether a new connection still fits limits.max_connections and
// max_connections_per_ip, given the `open` ones and `peers` of its tally. A refusal is logged as
// "NAME: refused IP:PORT: ... (reason)" and counted in `stats`; the caller then drops the socket.
bool admit_connection(std::string_view name, const boost::asio::ip::tcp::socket& socket,
                      const config::Limits& limits, std::int64_t open, const PeerConnections& peers,
                      ServerStats& stats);

}  // namespace liveorigin::net
