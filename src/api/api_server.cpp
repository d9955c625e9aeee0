#include "liveorigin/api/api_server.hpp"

#include <array>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "liveorigin/config/config.hpp"
#include "liveorigin/common/log.hpp"
#include "liveorigin/net/request_read.hpp"
#include "liveorigin/net/connection_count.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/common/query.hpp"
#include "console_routes.hpp"

namespace liveorigin::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr std::uint64_t kBodyLimit = 1 << 20;
constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr std::string_view kBadHostMessage =
    "bad Host header: expected host[:port] (a name, an IPv4 address or [IPv6], and port digits)";

// limits.api_rate per client address: a token bucket per address (burst twice the rate), on the API
// thread only. Buckets idle for a minute are dropped, so scanners cannot grow the map for ever.
class RateLimiter {
 public:
  bool allow(const std::string& ip, double rate) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_sweep_ > std::chrono::minutes(1)) {
      std::erase_if(buckets_, [&](const auto& b) { return now - b.second.last > std::chrono::minutes(1); });
      last_sweep_ = now;
    }
    auto [it, fresh] = buckets_.try_emplace(ip, Bucket{2 * rate, now});
    auto& b = it->second;
    if (!fresh) b.tokens = std::min(2 * rate, b.tokens + rate * std::chrono::duration<double>(now - b.last).count());
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  std::unordered_map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point last_sweep_ = std::chrono::steady_clock::now();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, net::ConnectionCount place, const Router& router, config::ConfigStore& config,
          RateLimiter& limiter, net::ServerStats& stats)
      : count_(std::move(place)), socket_(std::move(socket)), router_(router), config_(config),
        limiter_(limiter), stats_(stats), timer_(socket_.get_executor()) {
    boost::system::error_code ec;
    const auto peer = socket_.remote_endpoint(ec);
    ip_ = ec ? "?" : peer.address().to_string();
    context_ = "api " + ip_ + ":" + (ec ? "?" : std::to_string(peer.port()));
  }

  void start() { read_request(kIdleTimeout); }

 private:
  void read_request(std::chrono::seconds idle) {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(config_.get()->limits.max_http_header));
    parser_->body_limit(kBodyLimit);
    timer_.expires_after(std::min<std::chrono::seconds>(idle, kRequestTimeout));
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) self->close();
    });
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        self->timer_.cancel();
                        self->on_request(ec);
                      });
  }

  void on_request(const boost::system::error_code& ec) {
    head_ = !ec && parser_->get().method() == bhttp::verb::head;
    if (ec) {
      if (net::classify_request_read_failure(ec, context_, stats_) == net::RequestReadFailure::peer_left) {
        close();
        return;
      }
      send(error_response(400, 400, "bad request: " + ec.message()), false);
      return;
    }
    if (const double rate = config_.get()->limits.api_rate; !limiter_.allow(ip_, rate)) {
      spdlog::warn("{}: refused: more than {} requests/s (api_rate)", context_, rate);
      stats_.refuse(net::Refusal::api_rate);
      send(error_response(429, 429, "too many requests"), parser_->get().keep_alive());
      return;
    }
    const auto& message = parser_->get();
    Request request;
    request.method = std::string(message.method_string());
    const auto target = std::string_view(message.target());
    const auto [path, query] = common::split_query(target);
    request.path = common::percent_decode(path);
    request.query = common::parse_query(query);
    request.body = message.body();
    request.client_ip = ip_;
    request.host = std::string(message[bhttp::field::host]);
    const bool keep_alive = message.keep_alive();

    // The console's files hold no data: no token (src/api/console_routes.cpp). HEAD as GET.
    if (message.method() == bhttp::verb::get || head_) {
      if (auto page = console_reply(*config_.get(), {request.path, request.host, message[bhttp::field::if_none_match],
                                                     message[bhttp::field::accept_encoding]})) {
        auto reply = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(page->status), 11);
        for (const auto& [name, value] : page->headers) reply->set(name, value);
        reply->set(bhttp::field::content_type, page->content_type);
        reply->body() = std::move(page->body);
        write(std::move(reply), keep_alive);
        return;
      }
    }
    Response response;
    if (!request.host.empty() && !config::is_valid_host_port(request.host)) {
      // Channel URLs are built from the Host: only a plain host[:port] may go into them.
      spdlog::info("{}: {} {}: 400 (bad Host header)", context_, request.method, request.path);
      response = error_response(400, 400, kBadHostMessage);
    } else if (request.path != "/healthz" &&
        !bearer_matches(message[bhttp::field::authorization], config_.get()->server.api_token)) {
      spdlog::info("{}: {} {}: 401 (bad or missing token)", context_, log_text(request.method),
                   log_text(request.path));
      response = error_response(401, 401, "missing or wrong bearer token");
    } else {
      response = router_.dispatch(request);
      spdlog::log(response.status >= 400 ? spdlog::level::info : spdlog::level::debug, "{}: {} {}: {}",
                  context_, log_text(request.method), log_text(request.path), response.status);
    }
    send(response, keep_alive);
  }

  void send(const Response& response, bool keep_alive) {
    auto reply = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), 11);
    reply->set(bhttp::field::content_type, response.content_type);
    if (response.status == 401) reply->set(bhttp::field::www_authenticate, "Bearer");
    reply->body() = envelope(response);
    if (response.content_type == "application/json") reply->body() += "\n";
    write(std::move(reply), keep_alive);
  }

  void write(std::shared_ptr<bhttp::response<bhttp::string_body>> reply, bool keep_alive) {
    reply->set(bhttp::field::server, "liveorigin");
    reply->keep_alive(keep_alive);
    reply->prepare_payload();
    if (head_) reply->body().clear();  // HEAD: GET's headers (Content-Length too), no body
    timer_.expires_after(kRequestTimeout);  // a client that does not read is cut
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (auto self = weak.lock(); self && !ec) self->close();
    });
    bhttp::async_write(socket_, *reply,
                       [self = shared_from_this(), reply](const boost::system::error_code& ec, std::size_t) {
                         self->timer_.cancel();
                         if (ec || !reply->keep_alive()) {
                           self->close();
                           return;
                         }
                         self->read_request(kIdleTimeout);
                       });
  }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  net::ConnectionCount count_;
  tcp::socket socket_;
  const Router& router_;
  config::ConfigStore& config_;
  RateLimiter& limiter_;
  net::ServerStats& stats_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string ip_;
  std::string context_;
  bool head_ = false;  // the request being answered is a HEAD
};

}  // namespace

// Lives until the ApiServer is destroyed, after its thread has been joined: handlers hold `this`.
struct ApiServer::Impl {
  Impl(const Router& router, config::ConfigStore& config, net::ServerStats& stats)
      : router(router), config(config), stats(stats) {}

  void accept_next() {
    acceptor.async_accept([self = this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (ec) {
        spdlog::warn("api: accept failed: {}", ec.message());
      } else if (auto place = net::admit_connection("api", socket, self->config.get()->limits, self->connections,
                                                    self->peers, self->stats)) {
        std::make_shared<Session>(std::move(socket), std::move(*place), self->router, self->config, self->limiter,
                                  self->stats)
            ->start();
      }  // else the socket is closed here
      self->accept_next();
    });
  }

  void schedule(std::shared_ptr<asio::steady_timer> timer, std::chrono::milliseconds period,
                std::shared_ptr<std::function<void()>> task) {
    timer->expires_after(period);
    timer->async_wait([self = this, timer, period, task](const boost::system::error_code& ec) {
      if (ec || self->stopping) return;
      try {
        (*task)();
      } catch (const std::exception& e) {
        spdlog::error("api: periodic task failed: {}", e.what());
      }
      self->schedule(timer, period, task);
    });
  }

  const Router& router;
  config::ConfigStore& config;
  net::ServerStats& stats;
  RateLimiter limiter;
  // API connections have a tally of their own, under the same limits: players filling
  // max_connections, or sharing an address with operators (a local relay, a NAT), must not lock
  // operators and the /metrics scrape out of the API; nor may an API flood take player slots.
  // Declared before `context`, whose destruction ends the sessions that hold counts here.
  std::atomic<std::int64_t> connections{0};
  net::PeerConnections peers;
  asio::io_context context{1};
  tcp::acceptor acceptor{context};
  std::vector<std::shared_ptr<asio::steady_timer>> timers;
  std::thread thread;
  std::uint16_t port = 0;
  bool stopping = false;  // API thread only
};

ApiServer::ApiServer(const config::Endpoint& endpoint, const Router& router, config::ConfigStore& config,
                     net::ServerStats& stats)
    : impl_(std::make_unique<Impl>(router, config, stats)) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) throw std::runtime_error("api: bad listen address '" + endpoint.host + "'");
  const tcp::endpoint ep(address, endpoint.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(ep, ec);
  if (ec) throw std::runtime_error("api: cannot listen on " + endpoint.to_string() + ": " + ec.message());
  acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->port = acceptor.local_endpoint().port();
  spdlog::info("api listening on {}:{}", endpoint.host, impl_->port);
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::every(std::chrono::milliseconds period, std::function<void()> task) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->context);
  impl_->timers.push_back(timer);
  impl_->schedule(timer, period, std::make_shared<std::function<void()>>(std::move(task)));
}

void ApiServer::post(std::function<void()> task) { asio::post(impl_->context, std::move(task)); }

void ApiServer::start() {
  impl_->accept_next();
  impl_->thread = std::thread([impl = impl_.get()] {
    for (;;) {
      try {
        impl->context.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("api: {}", e.what());
      }
    }
  });
}

void ApiServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  asio::post(impl_->context, [impl = impl_.get()] {
    impl->stopping = true;
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    for (auto& timer : impl->timers) timer->cancel();
    impl->context.stop();  // open connections are dropped with the context
  });
  impl_->thread.join();
}

std::uint16_t ApiServer::port() const { return impl_->port; }

namespace {

std::array<unsigned char, 32> sha256(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 || size != digest.size()) {
    throw std::runtime_error("SHA-256 unavailable");
  }
  return digest;
}

}  // namespace

bool bearer_matches(std::string_view header, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || !header.starts_with(kScheme)) return false;
  // Digests of both have one length whatever was sent: neither an early exit nor the time taken
  // tells how long the token is or how much of it matched.
  const auto given = sha256(header.substr(kScheme.size()));
  const auto expected = sha256(token);
  return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

}  // namespace liveorigin::api
