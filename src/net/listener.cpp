#include "liveorigin/net/listener.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/connection_count.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"

namespace liveorigin::net {

namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(ServerContext& server, const config::Endpoint& endpoint, std::string name,
                   Handler handler)
    : server_(server), name_(std::move(name)), handler_(std::move(handler)),
      acceptor_(server.shards.at(0).context()), retry_(server.shards.at(0).context()) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) throw std::runtime_error(name_ + ": bad listen address '" + endpoint.host + "'");
  const tcp::endpoint ep(address, endpoint.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep, ec);
  if (ec) {
    throw std::runtime_error(name_ + ": cannot listen on " + endpoint.to_string() + ": " + ec.message());
  }
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  spdlog::info("{} listening on {}:{}", name_, endpoint.host, port_);
}

void Listener::start() { accept_next(); }

void Listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

void Listener::accept_next() {
  Shard& shard = server_.shards.next();
  acceptor_.async_accept(shard.context(), [self = shared_from_this(), &shard](
                                              const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors and similar: log, pause briefly (retrying at once would spin), go on.
      spdlog::warn("{}: accept failed: {}", self->name_, ec.message());
      self->retry_.expires_after(std::chrono::milliseconds(100));
      self->retry_.async_wait([self](const boost::system::error_code& wait_ec) {
        if (!wait_ec && self->acceptor_.is_open()) self->accept_next();
      });
      return;
    }
    auto& stats = self->server_.stats;
    const auto config = self->server_.config.get();
    // Listeners accept on shard 0 only, so taking a place here cannot race another admission.
    if (auto place = admit_connection(self->name_, socket, config->limits, stats.connections, stats.peers, stats)) {
      if (config->server.tcp_nodelay) {
        boost::system::error_code ignored;  // a socket already reset fails at its first read
        socket.set_option(tcp::no_delay(true), ignored);
      }
      asio::post(shard.context(), [handler = self->handler_, socket = std::move(socket), &shard,
                                   place = std::move(*place)]() mutable {
        handler(std::move(socket), shard, std::move(place));
      });
    }  // else the socket is closed here
    self->accept_next();
  });
}

}  // namespace liveorigin::net
