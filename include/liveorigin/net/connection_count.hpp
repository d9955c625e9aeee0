// Open connections in total and per peer address: a connection is counted from the moment it is
// admitted at accept until it is gone, and checked against limits.max_connections and
// max_connections_per_ip when one is accepted.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/ip/tcp.hpp>

#include "liveorigin/config/config.hpp"
#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {

// One connection's place in a tally; held by its session, released when that ends. Movable so
// the accepting thread can take the place and hand it on with the socket.
class ConnectionCount {
 public:
  ConnectionCount(std::atomic<std::int64_t>& total, PeerConnections& peers, std::string ip)
      : total_(&total), peers_(&peers), ip_(std::move(ip)) {
    ++*total_;
    if (!ip_.empty()) peers_->add(ip_);
  }
  ConnectionCount(ConnectionCount&& other) noexcept
      : total_(std::exchange(other.total_, nullptr)), peers_(other.peers_), ip_(std::move(other.ip_)) {}
  ConnectionCount& operator=(ConnectionCount&&) = delete;
  ~ConnectionCount() {
    if (!total_) return;  // moved from
    --*total_;
    if (!ip_.empty()) peers_->remove(ip_);
  }

 private:
  std::atomic<std::int64_t>* total_;
  PeerConnections* peers_;
  std::string ip_;
};

// At accept: whether a new connection still fits limits.max_connections and
// max_connections_per_ip in the tally (`total`, `peers`); if so, its place, taken at once, so a
// burst of accepts cannot overshoot. Admissions to one tally must come from one thread (the
// listeners' accept thread, or the API's). A refusal is logged as
// "NAME: refused IP:PORT: ... (reason)" and counted in `stats`; the caller then drops the socket.
std::optional<ConnectionCount> admit_connection(std::string_view name, const boost::asio::ip::tcp::socket& socket,
                                                const config::Limits& limits, std::atomic<std::int64_t>& total,
                                                PeerConnections& peers, ServerStats& stats);

}  // namespace liveorigin::net
