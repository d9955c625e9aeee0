// Accepts TCP connections on one endpoint, admits them under limits.max_connections and
// max_connections_per_ip, and hands each on as a net::Transport: every port of the server (RTMP,
// media HTTP, the API) goes through here. Media ports place connections on the shards
// round-robin; the API has an event loop of its own.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "liveorigin/config/config_store.hpp"
#include "liveorigin/net/connection_count.hpp"

namespace liveorigin::net {

class CertificateStore;
class Shard;
class Shards;
class Transport;
struct ServerContext;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Runs on the connection's shard, which owns the connection from then on; `place` is its count
  // in limits.max_connections, taken at accept.
  using Handler = std::function<void(std::shared_ptr<Transport> transport, Shard& shard, ConnectionCount place)>;
  // The same with the bare TCP socket, for code that wants TCP itself (tests, tools).
  using SocketHandler = std::function<void(boost::asio::ip::tcp::socket socket, Shard& shard, ConnectionCount place)>;
  // For a port with an event loop of its own: runs on that loop.
  using LoopHandler = std::function<void(std::shared_ptr<Transport> transport, ConnectionCount place)>;

  // A tally of open connections checked against the limits at accept.
  struct Tally {
    std::atomic<std::int64_t>& connections;
    PeerConnections& peers;
  };

  // A media port: accepts on shard 0, places each connection on the next shard, counts it in
  // server.stats. Binds now, so a taken port is an error at start-up (throws std::runtime_error
  // with the address). With `tls` (it outlives the listener) the port speaks TLS: the handler
  // gets the connection once its handshake is done.
  Listener(ServerContext& server, const config::Endpoint& endpoint, std::string name, Handler handler,
           CertificateStore* tls = nullptr);
  Listener(ServerContext& server, const config::Endpoint& endpoint, std::string name, SocketHandler handler);
  // A port served on `context` alone (accepting included), counted in `tally`.
  Listener(boost::asio::io_context& context, config::ConfigStore& config, ServerStats& stats, Tally tally,
           const config::Endpoint& endpoint, std::string name, LoopHandler handler, CertificateStore* tls = nullptr);

  void start();
  void close();  // on the accepting thread
  std::uint16_t port() const { return port_; }

 private:
  // Where an admitted socket goes: the shard it was accepted for (null on an own loop).
  using Deliver = std::function<void(boost::asio::ip::tcp::socket socket, Shard* shard, ConnectionCount place)>;

  Listener(boost::asio::io_context& accept_context, config::ConfigStore& config, ServerStats& stats, Shards* shards,
           Tally tally, const config::Endpoint& endpoint, std::string name, Deliver deliver);
  void accept_next();

  config::ConfigStore& config_;
  ServerStats& stats_;
  Shards* shards_;                       // null: connections stay on the accepting loop
  boost::asio::io_context& own_context_;  // the accepting loop
  Tally tally_;
  std::string name_;
  Deliver deliver_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::uint16_t port_ = 0;
};

// How a listener makes the transport of an accepted connection.
struct TransportSetup {
  CertificateStore* tls = nullptr;  // null: plain TCP
  config::ConfigStore* config = nullptr;  // limits.handshake_timeout, read at each accept
  ServerStats* stats = nullptr;           // TLS handshake refusals
  std::string name;                       // the listener's, for log lines
};
using TransportReady = std::function<void(std::shared_ptr<Transport>)>;

// The one place where a listener decides what carries a connection's bytes: plain TCP at once,
// or TLS once its handshake is done under limits.handshake_timeout (not at all if it fails).
void make_transport(boost::asio::ip::tcp::socket socket, const TransportSetup& setup, TransportReady ready);

}  // namespace liveorigin::net
