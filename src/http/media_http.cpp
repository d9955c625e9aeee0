#include "liveorigin/http/media_http.hpp"

#include <array>
#include <chrono>

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
      if (auto reply = hls_reply(*services_.hls, server_.access, config,
                                 {target, peer_ip, header(request, bhttp::field::user_agent),
                                  &server_.hub.usage()})) {
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
    if (!stream) {
      spdlog::debug("{}: flv: stream not found", context);
      connection.reply(Reply::text(404, "stream not found\n"), false, head_only);
      return;
    }
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

  net::ServerContext& server_;
  MediaServices services_;
  SessionRules rules_;
};

}  // namespace

std::unique_ptr<Routes> media_routes(net::ServerContext& server, MediaServices services) {
  return std::make_unique<MediaRoutes>(server, services);
}

}  // namespace liveorigin::http
