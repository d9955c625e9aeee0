#include "liveorigin/net/connection_count.hpp"

#include <spdlog/spdlog.h>

namespace liveorigin::net {

std::optional<ConnectionCount> admit_connection(std::string_view name, const boost::asio::ip::tcp::socket& socket,
                                                const config::Limits& limits, std::atomic<std::int64_t>& total,
                                                PeerConnections& peers, ServerStats& stats) {
  boost::system::error_code peer_ec;
  const auto peer = socket.remote_endpoint(peer_ec);
  const auto ip = peer_ec ? std::string("?") : peer.address().to_string();
  if (total.load() >= limits.max_connections) {
    stats.refuse(Refusal::max_connections);
    spdlog::warn("{}: refused {}:{}: connection limit {} reached (max_connections)", name, ip, peer.port(),
                 limits.max_connections);
    return std::nullopt;
  }
  if (!peer_ec && peers.count(ip) >= limits.max_connections_per_ip) {
    stats.refuse(Refusal::max_connections_per_ip);
    spdlog::warn("{}: refused {}:{}: {} connections from this address (max_connections_per_ip)", name, ip,
                 peer.port(), limits.max_connections_per_ip);
    return std::nullopt;
  }
  return std::optional<ConnectionCount>(std::in_place, total, peers, peer_ec ? std::string() : ip);
}

}  // namespace liveorigin::net
