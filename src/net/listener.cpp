#include "liveorigin/net/listener.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"

namespace liveorigin::net {

namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(ServerContext& server, const config::Endpoint& endpoint, std::string name,
                   Handler handler)
    : server_(server), name_(std::move(name)), handler_(std::move(handler)),
      acceptor_(server.shards.at(0).context()) {
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
}

void Listener::accept_next() {
  Shard& shard = server_.shards.next();
  acceptor_.async_accept(shard.context(), [self = shared_from_this(), &shard](
                                              const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors and similar: log, keep accepting.
      spdlog::warn("{}: accept failed: {}", self->name_, ec.message());
    } else {
      const auto limit = self->server_.config.get()->limits.max_connections;
      if (self->server_.stats.connections.load() >= limit) {
        boost::system::error_code ignored;
        const auto peer = socket.remote_endpoint(ignored);
        spdlog::warn("{}: refused {}:{}: connection limit {} reached", self->name_,
                     peer.address().to_string(), peer.port(), limit);
      } else {
        asio::post(shard.context(), [handler = self->handler_, socket = std::move(socket), &shard]() mutable {
          handler(std::move(socket), shard);
        });
      }
    }
    self->accept_next();
  });
}

}  // namespace liveorigin::net
