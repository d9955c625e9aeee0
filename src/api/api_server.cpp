#include "liveorigin/api/api_server.hpp"

#include <array>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "liveorigin/config/config.hpp"
#include "liveorigin/common/log.hpp"
#include "liveorigin/http/session.hpp"
#include "liveorigin/net/connection_count.hpp"
#include "liveorigin/net/listener.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/transport.hpp"
#include "liveorigin/common/query.hpp"
#include "console_routes.hpp"

namespace liveorigin::api {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::uint64_t kBodyLimit = 1 << 20;
// A request must arrive whole, and an answer be taken, within this.
constexpr auto kRequestTimeout = std::chrono::milliseconds(10000);
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

// The API's answers to the one HTTP session: the rate limit, the console's files, the Host
// check, the bearer token, then the Router.
class ApiRoutes final : public http::Routes {
 public:
  ApiRoutes(const Router& router, RateLimiter& limiter, net::ServerStats& stats)
      : router_(router), limiter_(limiter), stats_(stats) {
    rules_.name = "api";
    rules_.body_limit = kBodyLimit;
    rules_.cors = false;
    rules_.request_timeout = [](const config::Config&) { return kRequestTimeout; };
    rules_.timeout_is_refusal = false;
    rules_.write_timeout = [](const config::Config&) { return kRequestTimeout; };  // a client that does not read is cut
    rules_.cut_is_refusal = false;
    rules_.count_bytes_out = false;
  }

  const http::SessionRules& rules() const override { return rules_; }

  http::Reply bad_request(const boost::system::error_code& ec) const override {
    return to_reply(error_response(400, 400, "bad request: " + ec.message()));
  }

  void handle(http::Connection& connection, const http::RequestMessage& message) override {
    const auto& config = connection.config();
    const auto& context = connection.log_context();
    const auto& ip = connection.transport()->peer().ip_or_unknown();
    // HEAD answers with GET's headers (Content-Length too) and no body.
    const bool head = message.method() == bhttp::verb::head;
    const bool keep_alive = message.keep_alive();
    if (const double rate = config.limits.api_rate; !limiter_.allow(ip, rate)) {
      spdlog::warn("{}: refused: more than {} requests/s (api_rate)", context, rate);
      stats_.refuse(net::Refusal::api_rate);
      connection.reply(to_reply(error_response(429, 429, "too many requests")), keep_alive, head);
      return;
    }
    Request request;
    request.method = std::string(message.method_string());
    const auto [path, query] = common::split_query(std::string_view(message.target()));
    request.path = common::percent_decode(path);
    request.query = common::parse_query(query);
    request.body = message.body();
    request.client_ip = ip;
    request.host = std::string(http::header(message, bhttp::field::host));
    request.secure = connection.transport()->secure();

    // The console's files hold no data: no token (src/api/console_routes.cpp). HEAD as GET.
    if (message.method() == bhttp::verb::get || head) {
      if (auto page = console_reply(config, {request.path, request.host, http::header(message, bhttp::field::if_none_match),
                                             http::header(message, bhttp::field::accept_encoding), request.secure})) {
        http::Reply reply;
        reply.status = page->status;
        reply.content_type = page->content_type;
        reply.headers = std::move(page->headers);
        reply.body = std::make_shared<const Bytes>(page->body.begin(), page->body.end());
        connection.reply(std::move(reply), keep_alive, head);
        return;
      }
    }
    Response response;
    if (!request.host.empty() && !config::is_valid_host_port(request.host)) {
      // Channel URLs are built from the Host: only a plain host[:port] may go into them.
      spdlog::info("{}: {} {}: 400 (bad Host header)", context, request.method, request.path);
      response = error_response(400, 400, kBadHostMessage);
    } else if (request.path != "/healthz" &&
               !bearer_matches(http::header(message, bhttp::field::authorization), config.server.api_token)) {
      spdlog::info("{}: {} {}: 401 (bad or missing token)", context, log_text(request.method), log_text(request.path));
      response = error_response(401, 401, "missing or wrong bearer token");
    } else {
      response = router_.dispatch(request);
      spdlog::log(response.status >= 400 ? spdlog::level::info : spdlog::level::debug, "{}: {} {}: {}", context,
                  log_text(request.method), log_text(request.path), response.status);
    }
    connection.reply(to_reply(response), keep_alive, head);
  }

 private:
  static http::Reply to_reply(const Response& response) {
    http::Reply reply;
    reply.status = response.status;
    reply.content_type = response.content_type;
    if (response.status == 401) reply.headers.emplace_back("WWW-Authenticate", "Bearer");
    auto body = envelope(response);
    if (response.content_type == "application/json") body += "\n";
    reply.body = std::make_shared<const Bytes>(body.begin(), body.end());
    return reply;
  }

  const Router& router_;
  RateLimiter& limiter_;
  net::ServerStats& stats_;
  http::SessionRules rules_;
};

}  // namespace

// Lives until the ApiServer is destroyed, after its thread has been joined: handlers hold `this`.
struct ApiServer::Impl {
  Impl(const Router& router, config::ConfigStore& config, net::ServerStats& stats)
      : config(config), stats(stats), routes(router, limiter, stats) {}

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

  config::ConfigStore& config;
  net::ServerStats& stats;
  RateLimiter limiter;
  ApiRoutes routes;
  // API connections have a tally of their own, under the same limits: players filling
  // max_connections, or sharing an address with operators (a local relay, a NAT), must not lock
  // operators and the /metrics scrape out of the API; nor may an API flood take player slots.
  // Declared before `context`, whose destruction ends the sessions that hold counts here.
  std::atomic<std::int64_t> connections{0};
  net::PeerConnections peers;
  asio::io_context context{1};
  std::shared_ptr<net::Listener> listener;  // accepts on `context`, so connections stay on the API thread
  std::vector<std::shared_ptr<asio::steady_timer>> timers;
  std::thread thread;
  bool stopping = false;  // API thread only
};

ApiServer::ApiServer(const config::Endpoint& endpoint, const Router& router, config::ConfigStore& config,
                     net::ServerStats& stats, net::CertificateStore* tls)
    : impl_(std::make_unique<Impl>(router, config, stats)) {
  impl_->listener = std::make_shared<net::Listener>(
      impl_->context, config, stats, net::Listener::Tally{impl_->connections, impl_->peers}, endpoint, "api",
      [impl = impl_.get()](std::shared_ptr<net::Transport> transport, net::ConnectionCount place) {
        http::start_session(std::move(transport), std::move(place), impl->config, impl->stats, impl->routes);
      },
      tls);
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::every(std::chrono::milliseconds period, std::function<void()> task) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->context);
  impl_->timers.push_back(timer);
  impl_->schedule(timer, period, std::make_shared<std::function<void()>>(std::move(task)));
}

void ApiServer::post(std::function<void()> task) { asio::post(impl_->context, std::move(task)); }

void ApiServer::start() {
  impl_->listener->start();
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
    impl->listener->close();
    for (auto& timer : impl->timers) timer->cancel();
    impl->context.stop();  // open connections are dropped with the context
  });
  impl_->thread.join();
}

std::uint16_t ApiServer::port() const { return impl_->listener->port(); }

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
