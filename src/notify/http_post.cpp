#include "http_post.hpp"

#include <memory>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/version.hpp>

#include "liveorigin/notify/event.hpp"

namespace liveorigin::notify {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::uint32_t kMaxAnswerBytes = 64 * 1024;  // a backend's {"code":0} is tiny

// Stream is beast::tcp_stream (http) or beast::ssl_stream<beast::tcp_stream> (https).
template <typename Stream>
class Post : public std::enable_shared_from_this<Post<Stream>> {
 public:
  template <typename... StreamArgs>
  Post(asio::io_context& io, const HttpTarget& target, std::string body, const std::string& signature,
       std::chrono::milliseconds timeout, std::function<void(std::string)> done, StreamArgs&&... stream_args)
      : target_(target), timeout_(timeout), done_(std::move(done)), resolver_(io), resolve_deadline_(io),
        stream_(std::forward<StreamArgs>(stream_args)...) {
    request_.method(http::verb::post);
    request_.target(target_.target);
    request_.version(11);
    request_.set(http::field::host, target_.host_header());
    request_.set(http::field::user_agent, "liveorigin-notify");
    request_.set(http::field::content_type, "application/json");
    request_.set(kSignatureHeader, signature);
    request_.set(http::field::connection, "close");
    request_.body() = std::move(body);
    request_.prepare_payload();
    parser_.body_limit(kMaxAnswerBytes);
  }

  void start() {
    error_code ec;
    const auto address = asio::ip::make_address(target_.host, ec);
    if (!ec) {  // an IP literal needs no resolver
      connect(tcp::resolver::results_type::create(tcp::endpoint(address, target_.port), target_.host, ""));
      return;
    }
    // getaddrinfo cannot be bounded by the stream's timeout: a timer cancels a slow lookup.
    resolve_deadline_.expires_after(timeout_);
    resolve_deadline_.async_wait([self = this->shared_from_this()](const error_code& e) {
      if (!e) self->resolver_.cancel();
    });
    resolver_.async_resolve(target_.host, std::to_string(target_.port),
                            [self = this->shared_from_this()](const error_code& e, tcp::resolver::results_type r) {
                              self->resolve_deadline_.cancel();
                              if (e) return self->finish("resolve " + self->target_.host + ": " + e.message());
                              self->connect(std::move(r));
                            });
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void connect(tcp::resolver::results_type endpoints) {
    lowest().expires_after(timeout_);
    lowest().async_connect(endpoints, [self = this->shared_from_this()](const error_code& e, const tcp::endpoint&) {
      if (e) return self->finish(self->describe("connect", e));
      self->secure();
    });
  }

  void secure() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      send();
    } else {
      // SNI, and the certificate must name the host (set_default_verify_paths trusts the system CAs).
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), target_.host.c_str())) {
        return finish("TLS: cannot set the server name");
      }
      stream_.set_verify_callback(asio::ssl::host_name_verification(target_.host));
      stream_.async_handshake(asio::ssl::stream_base::client, [self = this->shared_from_this()](const error_code& e) {
        if (e) return self->finish(self->describe("TLS handshake", e));
        self->send();
      });
    }
  }

  void send() {
    lowest().expires_after(timeout_);  // the response timeout: write + answer
    http::async_write(stream_, request_, [self = this->shared_from_this()](const error_code& e, std::size_t) {
      if (e) return self->finish(self->describe("write", e));
      http::async_read(self->stream_, self->buffer_, self->parser_,
                       [self](const error_code& e2, std::size_t) {
                         if (e2) return self->finish(self->describe("read answer", e2));
                         const auto& answer = self->parser_.get();
                         self->finish(response_error(answer.result_int(), answer.body()));
                       });
    });
  }

  std::string describe(std::string_view step, const error_code& e) const {
    if (e == beast::error::timeout) return std::string(step) + ": timeout";
    return std::string(step) + ": " + e.message();
  }

  void finish(std::string error) {
    if (!done_) return;
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(error));
  }

  HttpTarget target_;
  std::chrono::milliseconds timeout_;
  std::function<void(std::string)> done_;
  tcp::resolver resolver_;
  asio::steady_timer resolve_deadline_;
  Stream stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

void async_post_json(asio::io_context& io, asio::ssl::context& tls, const HttpTarget& target, std::string body,
                     std::string signature, std::chrono::milliseconds timeout,
                     std::function<void(std::string error)> done) {
  if (target.tls) {
    std::make_shared<Post<beast::ssl_stream<beast::tcp_stream>>>(io, target, std::move(body), signature, timeout,
                                                                 std::move(done), io, tls)
        ->start();
  } else {
    std::make_shared<Post<beast::tcp_stream>>(io, target, std::move(body), signature, timeout, std::move(done), io)
        ->start();
  }
}

}  // namespace liveorigin::notify
