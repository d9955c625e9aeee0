#include "liveorigin/http/media_http.hpp"

#include <chrono>
#include <optional>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"
#include "liveorigin/hub/names.hpp"
#include "liveorigin/media/flv.hpp"
#include "liveorigin/net/request_read.hpp"
#include "liveorigin/net/connection_count.hpp"
#include "liveorigin/net/sender.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"
#include "liveorigin/net/write_watch.hpp"
#include "liveorigin/common/query.hpp"
#include "hls_routes.hpp"
#include "page_routes.hpp"
#include "reply.hpp"
#include "request_target.hpp"
#include "vod_routes.hpp"

namespace liveorigin::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

template <class Message>
std::string_view header(const Message& message, bhttp::field name) {
  const auto value = message[name];
  return {value.data(), value.size()};
}

std::chrono::milliseconds seconds(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

class MediaSession : public std::enable_shared_from_this<MediaSession> {
 public:
  MediaSession(net::ServerContext& server, tcp::socket socket, net::Shard& shard, net::ConnectionCount place,
               MediaServices services)
      : server_(server), services_(services), shard_(shard), count_(std::move(place)),
        socket_(std::make_shared<tcp::socket>(std::move(socket))), config_(server.config.get()),
        timer_(shard.context()) {
    boost::system::error_code ec;
    const auto peer = socket_->remote_endpoint(ec);
    context_ = "http " + (ec ? std::string("?") : peer.address().to_string() + ":" + std::to_string(peer.port()));
    if (!ec) peer_ip_ = peer.address().to_string();
    // Every answer but the live FLV stream (its Sender has its own) is written under idle_timeout.
    writer_ = std::make_shared<net::WriteWatch>(socket_, server_.stats, seconds(config_->limits.idle_timeout),
                                                context_);
  }
  void start() { read_request(); }

 private:
  void read_request() {
    // Each request on a kept-alive connection sees the config of its time: HLS players keep one
    // connection for hours, and a reload (new play keys, an app turned off) must reach them.
    config_ = server_.config.get();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(config_->limits.max_http_header));
    parser_->body_limit(64 * 1024);
    // A request must arrive whole within the handshake timeout (slow clients are cut).
    timer_.expires_after(seconds(config_->limits.handshake_timeout));
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      spdlog::log(self->parser_->got_some() ? spdlog::level::warn : spdlog::level::info,
                  "{}: no complete request within {} s, closing (handshake_timeout)", self->context_,
                  self->config_->limits.handshake_timeout);
      self->server_.stats.refuse(net::Refusal::handshake_timeout);
      self->close();
    });
    bhttp::async_read(*socket_, buffer_, *parser_,
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        self->timer_.cancel();
                        self->on_request(ec);
                      });
  }

  void on_request(const boost::system::error_code& ec) {
    if (ec) {
      if (net::classify_request_read_failure(ec, context_, server_.stats) == net::RequestReadFailure::peer_left) {
        close();
        return;
      }
      send(Reply::text(400, "bad request\n"), false, false);
      return;
    }
    const auto& request = parser_->get();
    const auto target = parse_target(request.target());
    const bool keep_alive = request.keep_alive();
    const bool head_only = request.method() == bhttp::verb::head;
    if (request.method() == bhttp::verb::options) {
      send(Reply{.status = 204, .headers = {}, .body = {}}, keep_alive, false);
      return;
    }
    if (request.method() != bhttp::verb::get && !head_only) {
      send(Reply::text(405, "method not allowed\n"), keep_alive, false);
      return;
    }
    // Routes. HTTP-FLV takes the connection over; the others answer with one Reply.
    if (target.segments.size() == 2) {
      const auto stream = strip_suffix(target.segments[1], ".flv");
      if (!stream.empty()) {
        play_flv(target.segments[0], std::string(stream), target.query, head_only);
        return;
      }
    }
    if (is_vod_target(target)) {  // recordings, streamed from disk (src/http/vod_routes.cpp)
      const auto range = request[bhttp::field::range];
      serve_vod(writer_, *config_, server_.access, server_.stats,
                {target, std::string_view(range.data(), range.size()), head_only, keep_alive},
                [self = shared_from_this()](bool again) { again ? self->read_request() : self->close(); });
      return;
    }
    // The player page, the list of streams and their files (src/http/page_routes.cpp).
    if (auto reply = page_reply(*config_, server_.hub, {target, header(request, bhttp::field::if_none_match),
                                                        header(request, bhttp::field::accept_encoding)})) {
      send(std::move(*reply), keep_alive, head_only);
      return;
    }
    if (services_.hls) {  // HLS playlists and segments, from memory (src/http/hls_routes.cpp)
      const auto agent = request[bhttp::field::user_agent];
      if (auto reply = hls_reply(*services_.hls, *config_,
                                 {target, peer_ip_, std::string_view(agent.data(), agent.size())})) {
        send(std::move(*reply), keep_alive, head_only);
        return;
      }
    }
    send(Reply::text(404, "not found\n"), keep_alive, head_only);
  }

  void play_flv(const std::string& app_name, const std::string& name, const std::string& query, bool head_only) {
    context_ += " " + log_text(app_name) + "/" + log_text(name);
    if (!hub::is_valid_name(app_name) || !hub::is_valid_name(name)) {
      spdlog::warn("{}: refused: invalid app or stream name", context_);
      send(Reply::text(400, "invalid app or stream name\n"), false, head_only);
      return;
    }
    const auto* app = config_->find_app(app_name);
    if (app) {  // play auth (issue 4)
      const auto decision = server_.access.check_play(*app, name, common::parse_query(query), access::unix_now());
      if (!decision.ok()) {
        spdlog::warn("{}: flv play refused: {}", context_, decision.reason);
        send(Reply::text(403, "forbidden: " + decision.reason + "\n"), false, head_only);
        return;
      }
    }
    auto stream = app && app->flv_enabled ? server_.hub.find({app_name, name}) : nullptr;
    if (!stream) {
      const std::string why = !app                ? "unknown app '" + app_name + "'"
                              : !app->flv_enabled ? "HTTP-FLV is off for app '" + app_name + "'"
                                                  : std::string("stream not found");
      spdlog::debug("{}: flv: {}", context_, log_text(why));
      send(Reply::text(404, why + "\n"), false, head_only);
      return;
    }
    const bool unknown = !stream->has_audio() && !stream->has_video();
    std::string head =
        "HTTP/1.1 200 OK\r\n"
        "Server: liveorigin\r\n"
        "Content-Type: video/x-flv\r\n"
        "Access-Control-Allow-Origin: *\r\n"
        "Cache-Control: no-cache\r\n"
        "Connection: close\r\n\r\n";
    Bytes start(head.begin(), head.end());
    if (!head_only) {
      const auto file_header = media::flv_file_header(unknown || stream->has_audio(),
                                                      unknown || stream->has_video());
      start.insert(start.end(), file_header.begin(), file_header.end());
    }
    const auto& limits = config_->limits;
    sender_ = std::make_shared<net::Sender>(socket_, net::WireFormat::flv, net::feed_options(limits),
                                            server_.stats, context_);
    sender_->set_write_timeout(seconds(limits.idle_timeout));
    sender_->send_control(std::move(start));
    if (head_only) {
      sender_->close_after_flush();
      return;
    }
    sender_->set_end_handler([weak = std::weak_ptr<net::Sender>(sender_), context = context_] {
      spdlog::info("{}: stream ended, closing player", context);
      if (auto sender = weak.lock()) sender->close_after_flush();
    });
    sender_->count_as_player(stream->stats(), hub::PlayProtocol::flv);
    stream->subscribe(shard_, sender_);
    spdlog::info("{}: flv play started", context_);
    watch_for_close();
  }

  // An FLV player sends nothing more; a read that fails means it has gone.
  void watch_for_close() {
    socket_->async_read_some(asio::buffer(drain_), [self = shared_from_this()](
                                                       const boost::system::error_code& ec, std::size_t) {
      if (!ec) {
        self->watch_for_close();
        return;
      }
      spdlog::info("{}: flv player left ({} bytes sent)", self->context_, self->sender_->bytes_sent());
      self->sender_->close();
    });
  }

  // Writes a whole reply: the head and the shared body in one gathered write.
  void send(Reply reply, bool keep_alive, bool head_only) {
    auto head = std::make_shared<std::string>(reply_head(reply, keep_alive));
    auto body = head_only ? nullptr : reply.body;
    std::vector<asio::const_buffer> buffers{asio::buffer(*head)};
    if (body) buffers.push_back(asio::buffer(*body));
    writer_->async_write(buffers, [self = shared_from_this(), head, body, keep_alive](
                                      const boost::system::error_code& ec, std::size_t n) {
      self->server_.stats.bytes_out.fetch_add(n, std::memory_order_relaxed);
      if (ec || !keep_alive) {
        self->close();
        return;
      }
      self->read_request();
    });
  }

  void close() {
    boost::system::error_code ignored;
    socket_->shutdown(tcp::socket::shutdown_both, ignored);
    socket_->close(ignored);
  }

  net::ServerContext& server_;
  MediaServices services_;
  net::Shard& shard_;
  net::ConnectionCount count_;
  std::shared_ptr<tcp::socket> socket_;
  std::shared_ptr<const config::Config> config_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::empty_body>> parser_;
  std::shared_ptr<net::WriteWatch> writer_;
  std::shared_ptr<net::Sender> sender_;
  std::array<char, 512> drain_{};
  std::string context_;
  std::string peer_ip_;
};

}  // namespace

void start_media_session(net::ServerContext& server, tcp::socket socket, net::Shard& shard,
                         net::ConnectionCount place, MediaServices services) {
  std::make_shared<MediaSession>(server, std::move(socket), shard, std::move(place), services)->start();
}

}  // namespace liveorigin::http
