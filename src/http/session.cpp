#include "liveorigin/http/session.hpp"

#include <optional>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/request_read.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/transport.hpp"
#include "liveorigin/net/write_watch.hpp"

namespace liveorigin::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

std::string_view header(const RequestMessage& message, bhttp::field name) {
  const auto value = message[name];
  return {value.data(), value.size()};
}

namespace {

constexpr std::size_t kReadSize = 4096;

class Session final : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<net::Transport> transport, net::ConnectionCount place, config::ConfigStore& config,
          net::ServerStats& stats, Routes& routes, net::Shard* shard)
      : transport_(std::move(transport)), count_(std::move(place)), config_store_(config), stats_(stats),
        routes_(routes), rules_(routes.rules()), shard_(shard), config_(config.get()),
        timer_(transport_->context()), context_(rules_.name + " " + transport_->peer().text()) {
    writer_ = std::make_shared<net::WriteWatch>(transport_, stats_, rules_.write_timeout(*config_), context_);
    if (!rules_.cut_is_refusal) writer_->set_quiet();
  }

  void start() { read_request(); }

  // Connection
  void reply(Reply reply, bool keep_alive, bool head_only) override {
    auto head = std::make_shared<std::string>(reply_head(reply, keep_alive, rules_.cors));
    auto body = head_only ? nullptr : reply.body;
    std::vector<asio::const_buffer> buffers{asio::buffer(*head)};
    if (body) buffers.push_back(asio::buffer(*body));
    writer_->async_write(buffers, [self = shared_from_this(), head, body, keep_alive,
                                   on_written = std::move(reply.on_written)](const boost::system::error_code& ec,
                                                                             std::size_t n) {
      if (self->rules_.count_bytes_out) self->stats_.bytes_out.fetch_add(n, std::memory_order_relaxed);
      if (on_written) on_written(n);
      self->done(!ec && keep_alive);
    });
  }
  void done(bool keep_alive) override { keep_alive ? read_request() : close(); }
  std::shared_ptr<Connection> hold() override { return shared_from_this(); }
  const std::shared_ptr<net::Transport>& transport() const override { return transport_; }
  const std::shared_ptr<net::WriteWatch>& writer() const override { return writer_; }
  net::Shard* shard() const override { return shard_; }
  const config::Config& config() const override { return *config_; }
  std::string& log_context() override { return context_; }

 private:
  void read_request() {
    // Each request on a kept-alive connection sees the config of its time: HLS players keep one
    // connection for hours, and a reload (new play keys, an app turned off) must reach them.
    config_ = config_store_.get();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(config_->limits.max_http_header));
    parser_->body_limit(rules_.body_limit);
    timer_.expires_after(rules_.request_timeout(*config_));
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      if (self->rules_.timeout_is_refusal) {
        spdlog::log(self->parser_->got_some() ? spdlog::level::warn : spdlog::level::info,
                    "{}: no complete request within {} s, closing (handshake_timeout)", self->context_,
                    self->config_->limits.handshake_timeout);
        self->stats_.refuse(net::Refusal::handshake_timeout);
      }
      self->close();
    });
    parse();
  }

  // Parses what has arrived (a pipelined request may be there already), reads on when it is not
  // a whole request yet. The header limit bounds what is buffered.
  void parse() {
    while (buffer_.size() > 0 && !parser_->is_done()) {
      boost::system::error_code ec;
      const auto used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) break;
      if (ec) {
        finish_read(ec);
        return;
      }
    }
    if (parser_->is_done()) {
      finish_read({});
      return;
    }
    const auto space = buffer_.prepare(kReadSize);
    reading_ = true;
    transport_->async_read_some(
        std::span<std::uint8_t>(static_cast<std::uint8_t*>(space.data()), space.size()),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->reading_ = false;
          if (!ec) {
            self->buffer_.commit(n);
            self->parse();
          } else if (ec == asio::error::eof) {
            self->finish_read(self->at_eof());
          } else {
            self->finish_read(ec);
          }
        });
  }

  // The peer closed: before a request began that is the end of the stream, else a cut request.
  boost::system::error_code at_eof() {
    if (!parser_->got_some()) return bhttp::error::end_of_stream;
    boost::system::error_code ec;
    parser_->put_eof(ec);
    return ec ? ec : bhttp::error::partial_message;
  }

  void finish_read(const boost::system::error_code& ec) {
    timer_.cancel();
    if (ec) {
      if (net::classify_request_read_failure(ec, context_, stats_) == net::RequestReadFailure::peer_left) {
        close();
        return;
      }
      reply(routes_.bad_request(ec), false, false);
      return;
    }
    routes_.handle(*this, parser_->get());
    // A live FLV player keeps its session for hours and reads nothing more through it: give the
    // read buffer back (the next request of a kept-alive connection takes a new one).
    if (!reading_ && buffer_.size() == 0) buffer_.shrink_to_fit();
  }

  void close() {
    timer_.cancel();
    transport_->close();
  }

  std::shared_ptr<net::Transport> transport_;
  net::ConnectionCount count_;
  config::ConfigStore& config_store_;
  net::ServerStats& stats_;
  Routes& routes_;
  const SessionRules& rules_;
  net::Shard* shard_;
  std::shared_ptr<const config::Config> config_;
  asio::steady_timer timer_;
  std::string context_;
  boost::beast::flat_buffer buffer_;
  bool reading_ = false;  // a read into buffer_ is under way: its memory must stay
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<net::WriteWatch> writer_;
};

}  // namespace

void start_session(std::shared_ptr<net::Transport> transport, net::ConnectionCount place, config::ConfigStore& config,
                   net::ServerStats& stats, Routes& routes, net::Shard* shard) {
  std::make_shared<Session>(std::move(transport), std::move(place), config, stats, routes, shard)->start();
}

}  // namespace liveorigin::http
