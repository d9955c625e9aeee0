#include "liveorigin/net/listener.hpp"

#include <cmath>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/connection_count.hpp"
#include "liveorigin/net/plain_transport.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"
#include "liveorigin/net/tls_transport.hpp"

namespace liveorigin::net {

namespace asio = boost::asio;
using asio::ip::tcp;

void make_transport(tcp::socket socket, const TransportSetup& setup, TransportReady ready) {
  if (!setup.tls) {
    ready(std::make_shared<PlainTransport>(std::move(socket)));
    return;
  }
  const auto timeout = std::chrono::milliseconds(std::llround(setup.config->get()->limits.handshake_timeout * 1000));
  accept_tls(std::move(socket), *setup.tls, timeout, *setup.stats, setup.name, std::move(ready));
}

namespace {
// Posts the socket to its shard, where the session owns it from then on.
template <class Handler>
auto on_shard(Handler handler) {
  return [handler = std::move(handler)](tcp::socket socket, Shard* shard, ConnectionCount place) {
    asio::post(shard->context(), [handler, socket = std::move(socket), shard, place = std::move(place)]() mutable {
      handler(std::move(socket), *shard, std::move(place));
    });
  };
}
}  // namespace

Listener::Listener(ServerContext& server, const config::Endpoint& endpoint, std::string name, Handler handler,
                   CertificateStore* tls)
    : Listener(server.shards.at(0).context(), server.config, server.stats, &server.shards,
               Tally{server.stats.connections, server.stats.peers}, endpoint, name,
               on_shard([handler = std::move(handler), setup = TransportSetup{tls, &server.config, &server.stats, name}](
                            tcp::socket socket, Shard& shard, ConnectionCount place) {
                 // The place is held through the handshake: a connection counts from its accept.
                 auto held = std::make_shared<ConnectionCount>(std::move(place));
                 make_transport(std::move(socket), setup, [handler, &shard, held](std::shared_ptr<Transport> transport) {
                   handler(std::move(transport), shard, std::move(*held));
                 });
               })) {}

Listener::Listener(ServerContext& server, const config::Endpoint& endpoint, std::string name,
                   SocketHandler handler)
    : Listener(server.shards.at(0).context(), server.config, server.stats, &server.shards,
               Tally{server.stats.connections, server.stats.peers}, endpoint, std::move(name),
               on_shard(std::move(handler))) {}

Listener::Listener(asio::io_context& context, config::ConfigStore& config, ServerStats& stats, Tally tally,
                   const config::Endpoint& endpoint, std::string name, LoopHandler handler, CertificateStore* tls)
    : Listener(context, config, stats, nullptr, tally, endpoint, name,
               [handler = std::move(handler), setup = TransportSetup{tls, &config, &stats, name}](
                   tcp::socket socket, Shard*, ConnectionCount place) {
                 auto held = std::make_shared<ConnectionCount>(std::move(place));
                 make_transport(std::move(socket), setup, [handler, held](std::shared_ptr<Transport> transport) {
                   handler(std::move(transport), std::move(*held));
                 });
               }) {}

Listener::Listener(asio::io_context& accept_context, config::ConfigStore& config, ServerStats& stats, Shards* shards,
                   Tally tally, const config::Endpoint& endpoint, std::string name, Deliver deliver)
    : config_(config), stats_(stats), shards_(shards), own_context_(accept_context), tally_(tally),
      name_(std::move(name)), deliver_(std::move(deliver)), acceptor_(accept_context), retry_(accept_context) {
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
  Shard* shard = shards_ ? &shards_->next() : nullptr;
  auto& context = shard ? shard->context() : own_context_;
  acceptor_.async_accept(context, [self = shared_from_this(), shard](const boost::system::error_code& ec,
                                                                     tcp::socket socket) {
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
    const auto config = self->config_.get();
    // A listener accepts on one thread only, so taking a place here cannot race another admission
    // to its tally.
    if (auto place = admit_connection(self->name_, socket, config->limits, self->tally_.connections,
                                      self->tally_.peers, self->stats_)) {
      // server.tcp_nodelay is about media: the shards' ports.
      if (shard && config->server.tcp_nodelay) {
        boost::system::error_code ignored;  // a socket already reset fails at its first read
        socket.set_option(tcp::no_delay(true), ignored);
      }
      self->deliver_(std::move(socket), shard, std::move(*place));
    }  // else the socket is closed here
    self->accept_next();
  });
}

}  // namespace liveorigin::net
