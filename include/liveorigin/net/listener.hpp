// Accepts TCP connections on one endpoint and hands each to the next shard, round-robin.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "liveorigin/config/config.hpp"
#include "liveorigin/net/connection_count.hpp"

namespace liveorigin::net {

class Shard;
class Shards;
struct ServerContext;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Runs on the connection's shard, which owns the socket from then on; `place` is its count in
  // limits.max_connections, taken at accept.
  using Handler = std::function<void(boost::asio::ip::tcp::socket socket, Shard& shard, ConnectionCount place)>;

  // Binds now, so a taken port is an error at start-up (throws std::runtime_error with the address).
  Listener(ServerContext& server, const config::Endpoint& endpoint, std::string name, Handler handler);
  void start();
  void close();
  std::uint16_t port() const { return port_; }

 private:
  void accept_next();

  ServerContext& server_;
  std::string name_;
  Handler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::uint16_t port_ = 0;
};

}  // namespace liveorigin::net
