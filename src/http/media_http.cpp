#include "liveorigin/http/media_http.hpp"

#include <array>
#include <chrono>
#include <functional>

#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"
#include "liveorigin/hub/names.hpp"
#include "liveorigin/media/flv.hpp"
#include "liveorigin/net/sender.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"
#include "liveorigin/net/transport.hpp"
#include "liveorigin/common/query.hpp"
#include "hls_routes.hpp"
#include "page_routes.hpp"
#include "play_refusal.hpp"
#include "request_target.hpp"
#include "vod_routes.hpp"

namespace liveorigin::http {

namespace bhttp = boost::beast::http;

namespace {

std::chrono::milliseconds seconds(double s) { return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000)); }

// A live FLV player: the connection is its Sender's from the answer's head on. The player sends
// nothing more; a read that fails means it has gone.
class FlvPlayer : public std::enable_shared_from_this<FlvPlayer> {
 public:
  FlvPlayer(std::shared_ptr<Connection> connection, std::shared_ptr<net::Sender> sender)
      : connection_(std::move(connection)), sender_(std::move(sender)) {}

  void watch_for_close() {
    connection_->transport()->async_read_some(drain_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                                                  std::size_t) {
      if (!ec) {
        self->watch_for_close();
        return;
      }
      spdlog::info("{}: flv player left ({} bytes sent)", self->connection_->log_context(),
                   self->sender_->bytes_sent());
      self->sender_->close();
    });
  }

 private:
  std::shared_ptr<Connection> connection_;  // holds the connection's place until the player leaves
  std::shared_ptr<net::Sender> sender_;
  std::array<std::uint8_t, 512> drain_{};
};

struct PlaylistClient {
  std::string peer_ip;
  std::string user_agent;
  bool keep_alive = false;
  bool head_only = false;
};

// An HLS playlist request waiting for the first playlist of a pulled stream: asked again every
// kPlaylistPoll until it is there or `wait` has passed; then a 503 with Retry-After (hls.js retries
// a 5xx, not a 4xx) if the stream is live here without a playlist yet, else the 404.
class PlaylistWait : public std::enable_shared_from_this<PlaylistWait> {
 public:
  using Answer = std::function<std::optional<Reply>(Connection&, const RequestTarget&, const PlaylistClient&)>;
  static constexpr auto kPlaylistPoll = std::chrono::milliseconds(200);

  PlaylistWait(std::shared_ptr<Connection> connection, RequestTarget target, PlaylistClient client,
               std::chrono::milliseconds wait, Answer answer)
      : connection_(std::move(connection)), target_(std::move(target)), client_(std::move(client)),
        answer_(std::move(answer)), timer_(connection_->shard()->context()), deadline_(Clock::now() + wait) {}

  // On the connection's shard, when the pull is live (or failed).
  void start(bool live) {
    live_ = live;
    poll();
  }

 private:
  using Clock = std::chrono::steady_clock;

  void poll() {
    auto reply = answer_(*connection_, target_, client_);
    if (!reply) reply = Reply::text(404, "not found\n");
    if (reply->status == 404 && live_ && Clock::now() < deadline_) {
      timer_.expires_after(kPlaylistPoll);
      timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->poll();
      });
      return;
    }
    if (reply->status == 404 && live_) {
      reply = Reply::text(503, "the stream is starting on this node, retry\n");
      reply->headers = {{"Retry-After", "1"}, {"Cache-Control", "no-cache"}};
    }
    connection_->reply(std::move(*reply), client_.keep_alive, client_.head_only);
  }

  std::shared_ptr<Connection> connection_;
  const RequestTarget target_;
  const PlaylistClient client_;
  const Answer answer_;
  boost::asio::steady_timer timer_;
  const Clock::time_point deadline_;
  bool live_ = false;
};

class MediaRoutes final : public Routes {
 public:
  MediaRoutes(net::ServerContext& server, MediaServices services) : server_(server), services_(services) {
    rules_.name = "http";
    rules_.body_limit = 0;  // requests carry no body here
    rules_.cors = true;
    // A request must arrive whole within the handshake timeout (slow clients are cut); every
    // answer but the live FLV stream (its Sender has its own) is written under idle_timeout.
    rules_.request_timeout = [](const config::Config& c) { return seconds(c.limits.handshake_timeout); };
    rules_.write_timeout = [](const config::Config& c) { return seconds(c.limits.idle_timeout); };
  }

  const SessionRules& rules() const override { return rules_; }

  Reply bad_request(const boost::system::error_code&) const override { return Reply::text(400, "bad request\n"); }

  void handle(Connection& connection, const RequestMessage& request) override {
    const auto& config = connection.config();
    const auto target = parse_target(request.target());
    const bool keep_alive = request.keep_alive();
    const bool head_only = request.method() == bhttp::verb::head;
    if (request.method() == bhttp::verb::options) {
      Reply preflight;
      preflight.status = 204;
      connection.reply(std::move(preflight), keep_alive, false);
      return;
    }
    if (request.method() != bhttp::verb::get && !head_only) {
      connection.reply(Reply::text(405, "method not allowed\n"), keep_alive, false);
      return;
    }
    // HTTP-FLV takes the connection over; the others answer with one Reply.
    if (target.segments.size() == 2) {
      const auto stream = strip_suffix(target.segments[1], ".flv");
      if (!stream.empty()) {
        play_flv(connection, target.segments[0], std::string(stream), target.query, head_only);
        return;
      }
    }
    if (is_vod_target(target)) {  // recordings, streamed from disk (src/http/vod_routes.cpp)
      serve_vod(connection.writer(), config, server_.access, server_.stats,
                {target, header(request, bhttp::field::range), head_only, keep_alive, &server_.hub.usage()},
                [hold = connection.hold()](bool again) { hold->done(again); });
      return;
    }
    // The player page, the list of streams and their files (src/http/page_routes.cpp).
    if (auto reply = page_reply(config, server_.hub, {target, header(request, bhttp::field::if_none_match),
                                                      header(request, bhttp::field::accept_encoding)})) {
      connection.reply(std::move(*reply), keep_alive, head_only);
      return;
    }
    if (services_.hls) {  // HLS playlists and segments, from memory (src/http/hls_routes.cpp)
      const auto peer_ip = connection.transport()->peer().ip;
      const auto user_agent = header(request, bhttp::field::user_agent);
      if (auto reply = hls_reply(*services_.hls, server_.access, config,
                                 {target, peer_ip, user_agent, &server_.hub.usage()})) {
        if (edge_playlist(connection, target, *reply, {peer_ip, std::string(user_agent), keep_alive, head_only})) return;
        connection.reply(std::move(*reply), keep_alive, head_only);
        return;
      }
    }
    connection.reply(Reply::text(404, "not found\n"), keep_alive, head_only);
  }

 private:
  void play_flv(Connection& connection, const std::string& app_name, const std::string& name,
                const std::string& query, bool head_only) {
    auto& context = connection.log_context();
    context += " " + log_text(app_name) + "/" + log_text(name);
    const auto& config = connection.config();
    const auto query_params = common::parse_query(query);
    const auto admission = server_.access.admit_play(
        config, {app_name, name, query_params, access::Delivery::flv, access::unix_now()});
    if (!admission.ok()) {
      const auto& decision = admission.decision;
      if (play_refusal_status(decision) == 404) {
        spdlog::debug("{}: flv: {}", context, log_text(decision.reason));
      } else {
        spdlog::warn("{}: flv play refused: {}", context, decision.reason);
      }
      connection.reply(play_refusal(decision), false, head_only);
      return;
    }
    auto stream = server_.hub.find({app_name, name});
    if (!stream && server_.edge && connection.shard()) {
      // Another cluster node may own it: the pull starts, the player waits for it.
      server_.edge->want({app_name, name}, *connection.shard(),
                         [this, hold = connection.hold(), key = hub::StreamKey{app_name, name}, head_only](bool) {
                           serve_flv(*hold, server_.hub.find(key), head_only);
                         });
      return;
    }
    serve_flv(connection, std::move(stream), head_only);
  }

  void serve_flv(Connection& connection, std::shared_ptr<hub::Stream> stream, bool head_only) {
    auto& context = connection.log_context();
    if (!stream) {
      spdlog::debug("{}: flv: stream not found", context);
      connection.reply(Reply::text(404, "stream not found\n"), false, head_only);
      return;
    }
    const auto& config = connection.config();
    const bool unknown = !stream->has_audio() && !stream->has_video();
    Reply head;
    head.content_type = "video/x-flv";
    head.headers = {{"Cache-Control", "no-cache"}};
    head.streamed = true;
    const auto head_text = reply_head(head, false, rules_.cors);
    Bytes start(head_text.begin(), head_text.end());
    if (!head_only) {
      const auto file_header = media::flv_file_header(unknown || stream->has_audio(),
                                                      unknown || stream->has_video());
      start.insert(start.end(), file_header.begin(), file_header.end());
    }
    const auto& limits = config.limits;
    auto sender = std::make_shared<net::Sender>(connection.transport(), net::WireFormat::flv,
                                                net::feed_options(limits), server_.stats, context);
    sender->set_write_timeout(seconds(limits.idle_timeout));
    sender->send_control(std::move(start));
    if (head_only) {
      sender->close_after_flush();
      return;
    }
    sender->set_end_handler([weak = std::weak_ptr<net::Sender>(sender), context] {
      spdlog::info("{}: stream ended, closing player", context);
      if (auto s = weak.lock()) s->close_after_flush();
    });
    sender->count_as_player(stream->stats(), hub::PlayProtocol::flv);
    stream->subscribe(*connection.shard(), sender);
    spdlog::info("{}: flv play started", context);
    std::make_shared<FlvPlayer>(connection.hold(), std::move(sender))->watch_for_close();
  }

  // A cluster node's HLS player of a stream it pulls (or is to pull): each playlist request counts
  // as a player present for the pull; a playlist not here yet starts the pull and waits for it
  // (PlaylistWait). False when this is not the case: `reply` is the answer.
  bool edge_playlist(Connection& connection, const RequestTarget& target, const Reply& reply, PlaylistClient client) {
    if (!server_.edge || !connection.shard() || target.segments.size() != 2) return false;
    const auto stream = strip_suffix(target.segments[1], ".m3u8");
    if (stream.empty() || !hub::is_valid_name(target.segments[0]) || !hub::is_valid_name(stream)) return false;
    const hub::StreamKey key{target.segments[0], std::string(stream)};
    const auto live = server_.hub.find(key);
    if (live && !live->publisher().pulled()) return false;  // owned here
    if (reply.status != 404 || !connection.config().find_app(key.app)) {
      if (reply.status == 200) server_.edge->want(key, *connection.shard(), {});
      return false;
    }
    const auto& hls = connection.config().find_app(key.app)->hls;
    const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>((2 * hls.fragment + 2) * 1000));
    auto waiter = std::make_shared<PlaylistWait>(
        connection.hold(), target, std::move(client), wait, [this](Connection& c, const RequestTarget& t, const PlaylistClient& p) {
          return hls_reply(*services_.hls, server_.access, c.config(), {t, p.peer_ip, p.user_agent, &server_.hub.usage()});
        });
    server_.edge->want(key, *connection.shard(), [waiter](bool live) { waiter->start(live); });
    return true;
  }

  net::ServerContext& server_;
  MediaServices services_;
  SessionRules rules_;
};

}  // namespace

std::unique_ptr<Routes> media_routes(net::ServerContext& server, MediaServices services) {
  return std::make_unique<MediaRoutes>(server, services);
}

}  // namespace liveorigin::http
