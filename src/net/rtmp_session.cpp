#include "liveorigin/net/rtmp_session.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <variant>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"
#include "liveorigin/net/connection_count.hpp"
#include "liveorigin/hub/names.hpp"
#include "liveorigin/net/sender.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"
#include "liveorigin/net/transport.hpp"
#include "liveorigin/rtmp/server_session.hpp"

namespace liveorigin::net {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Players send almost nothing after play: a small read buffer keeps an idle player's memory low.
// A session whose reads fill it (a publisher) grows it once to the large size.
constexpr std::size_t kSmallReadBuffer = 4 * 1024;
constexpr std::size_t kLargeReadBuffer = 64 * 1024;
constexpr auto kTick = std::chrono::milliseconds(500);
// App and stream names in log lines (escaped, cut past this many bytes).
constexpr std::size_t kMaxLoggedName = 200;
// Replies (command answers, ping replies, acknowledgements) the peer has not read: past this the
// session stops reading until they drain, so a peer that never reads costs bounded memory.
constexpr std::size_t kMaxUnsentControl = 64 * 1024;
// A player on a cluster node waits this long at most for the pull of a stream another node owns.
constexpr auto kEdgeWait = std::chrono::seconds(10);

std::chrono::milliseconds seconds(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

rtmp::Limits codec_limits(const config::Limits& limits) {
  rtmp::Limits out;
  out.max_message_size = limits.max_message_size;
  out.max_chunk_size = limits.max_chunk_size;
  out.max_chunk_streams = limits.max_chunk_streams;
  out.max_buffered = limits.max_publisher_pending;
  return out;
}

// What a connection does after connect: one role at a time, so no flag can contradict another.
struct Undecided {};  // connected; neither publishing nor playing (yet, or again after a publish)
struct Publishing {
  hub::Publication publication;
  std::uint32_t stream_id = 0;
  Clock::time_point last_media;
};
struct WaitingToPlay {  // admitted; the stream is not live yet (limits.play_wait)
  std::uint32_t stream_id = 0;
  std::string stream;
  Clock::time_point deadline;
};
struct Playing {
  std::uint32_t stream_id = 0;
};
using Role = std::variant<Undecided, Publishing, WaitingToPlay, Playing>;

// A play by another cluster node (an edge pull), counted per pulling node while it lasts.
class PullServed {
 public:
  PullServed(PeerConnections& counts, std::string node) : counts_(counts), node_(std::move(node)) { counts_.add(node_); }
  ~PullServed() { counts_.remove(node_); }
  PullServed(const PullServed&) = delete;
  PullServed& operator=(const PullServed&) = delete;

 private:
  PeerConnections& counts_;
  const std::string node_;
};

class RtmpSession : public std::enable_shared_from_this<RtmpSession> {
 public:
  RtmpSession(ServerContext& server, std::shared_ptr<Transport> transport, Shard& shard, ConnectionCount place)
      : server_(server), shard_(shard), count_(std::move(place)), transport_(std::move(transport)),
        config_(server.config.get()), codec_(codec_limits(config_->limits)),
        timer_(shard.context()), started_(Clock::now()), read_buffer_(kSmallReadBuffer) {
    const auto& peer = transport_->peer();
    ip_ = peer.ip_or_unknown();
    peer_context_ = "rtmp " + ip_ + ":" + (peer.known() ? std::to_string(peer.port) : "?");
    context_ = peer_context_;
    sender_ = std::make_shared<Sender>(transport_, WireFormat::rtmp, feed_options(config_->limits),
                                       server_.stats, context_);
    sender_->set_write_timeout(seconds(config_->limits.idle_timeout));
  }

  void start() {
    spdlog::debug("{}: connected", context_);
    read();
    tick();
  }

 private:
  void read() {
    transport_->async_read_some(read_buffer_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                                          std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (finished_) return;  // ending: what the peer sends now is not looked at
    if (ec) {
      if (ec != asio::error::eof) spdlog::debug("{}: read: {}", context_, ec.message());
      finish("closed");
      return;
    }
    server_.stats.bytes_in.fetch_add(n, std::memory_order_relaxed);
    try {
      codec_.feed(ByteView(read_buffer_.data(), n), events_);
      for (auto& event : events_) {
        std::visit([this](auto& e) { handle(e); }, event);
        if (closing_) break;
      }
    } catch (const rtmp::LimitError& e) {
      static constexpr Refusal kByLimit[] = {Refusal::max_message_size, Refusal::max_chunk_size,
                                             Refusal::max_chunk_streams, Refusal::max_publisher_pending};
      const auto reason = kByLimit[static_cast<int>(e.limit)];
      spdlog::warn("{}: refused, closing: {} ({})", context_, log_text(e.what()), kRefusalNames[static_cast<int>(reason)]);
      server_.stats.refuse(reason);
      events_.clear();
      finish("closed");
      return;
    } catch (const std::exception& e) {
      spdlog::warn("{}: protocol error, closing: {}", context_, log_text(e.what()));
      server_.stats.refuse(Refusal::protocol_error);
      events_.clear();
      finish("closed");
      return;
    }
    events_.clear();
    flush();
    if (closing_) {
      finish(close_reason_);
      return;
    }
    if (n == read_buffer_.size() && n < kLargeReadBuffer) read_buffer_.resize(kLargeReadBuffer);
    read_when_drained();
  }

  // Reads on once the peer has taken its replies, so a peer that never reads cannot make the server
  // queue replies without bound. The wait is an Asio operation: it owns the session meanwhile.
  void read_when_drained() {
    if (sender_->closed() || sender_->unsent_control() <= kMaxUnsentControl) {
      read();  // on a closed socket the read fails and ends the session
      return;
    }
    transport_->async_wait_writable([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->finished_) {
        if (!self->finished_) self->read();
        return;
      }
      self->read_when_drained();  // the sender writes on the same wake-up
    });
  }

  void flush() {
    if (codec_.has_output()) sender_->send_control(codec_.take_output());
  }

  // Asks the session to end after the current events: replies already queued are still sent.
  void close_soon(std::string reason) {
    closing_ = true;
    close_reason_ = std::move(reason);
  }

  void handle(rtmp::ConnectEvent& e) {
    context_ = peer_context_ + " " + log_text(e.app, kMaxLoggedName);
    app_ = config_->find_app(e.app);
    if (!app_) {
      spdlog::warn("{}: connect refused: unknown app (tcUrl '{}')", context_, log_text(e.tc_url));
      codec_.reject_connect("unknown application");
      close_soon("unknown app");
      return;
    }
    app_name_ = e.app;
    connect_query_ = std::move(e.query);
    if (e.capabilities.enhanced()) {
      std::string fourccs;
      for (const auto& f : e.capabilities.fourccs) fourccs += (fourccs.empty() ? "" : ",") + f;
      spdlog::info("{}: enhanced RTMP client: codecs {}, capsEx {}", context_, log_text(fourccs),
                   e.capabilities.caps_ex);
    }
    codec_.accept_connect();
  }

  // The stream name's query over tcUrl's (OBS sends it on the app part of its "server" field).
  common::Query merged_query(const common::Query& stream_query) const {
    auto query = connect_query_;
    for (const auto& [k, v] : stream_query) query[k] = v;
    return query;
  }

  // What is wrong with a publish or play name (the refusal's description), or empty.
  std::string name_problem(const std::string& stream) {
    if (stream.empty()) {
      spdlog::warn("{}: refused: no stream name (an encoder's stream key left empty?)", context_);
      return "missing stream name";
    }
    if (hub::is_valid_name(stream)) return {};
    spdlog::warn("{}: refused: invalid stream name", context_);  // the context shows it, escaped
    return "invalid stream name";
  }

  template <typename R>
  bool is() const { return std::holds_alternative<R>(role_); }
  Publishing* publishing() { return std::get_if<Publishing>(&role_); }

  void handle(rtmp::PublishEvent& e) {
    if (!app_ || !is<Undecided>()) {
      codec_.reject_publish(e.stream_id, "NetStream.Publish.BadName", "publish not allowed here");
      close_soon("bad publish");
      return;
    }
    context_ = peer_context_ + " " + app_name_ + "/" + log_text(e.stream, kMaxLoggedName);
    if (const auto problem = name_problem(e.stream); !problem.empty()) {
      codec_.reject_publish(e.stream_id, "NetStream.Publish.BadName", problem);
      close_soon("invalid name");
      return;
    }
    const auto query = merged_query(e.query);
    // Push auth, stream status and channel mode: decided from memory, no store access.
    if (const auto decision = server_.access.check_publish(*app_, e.stream, query, unix_now()); !decision.ok()) {
      spdlog::warn("{}: publish refused: {}", context_, decision.reason);
      codec_.reject_publish(e.stream_id, "NetStream.Publish.Rejected", decision.reason);
      close_soon("publish refused");
      return;
    }
    hub::PublishRequest request{
        .key = {app_name_, e.stream},
        .loop = &shard_,
        .publisher = {ip_, "rtmp", unix_now(), {}},
        .options = {.gop_cache = app_->gop_cache},
        .config = config_,
        .app = app_,
        .query = query,
        .on_stop = [weak = weak_from_this()](const std::string& reason) {
          if (auto self = weak.lock()) self->finish(reason);
        }};
    // A session gone (or ended) before the answer drops the publication, which ends it ("closed").
    // An answer that comes later (a cluster's registry) is not followed by on_read's flush.
    auto answered_later = std::make_shared<bool>(false);
    server_.hub.publish(std::move(request), [weak = weak_from_this(), stream_id = e.stream_id, name = e.stream,
                                             answered_later](hub::PublishResult r) {
      auto self = weak.lock();
      if (!self || self->finished_) return;
      self->on_publish_claimed(stream_id, name, std::move(r));
      if (!*answered_later) return;
      self->flush();
      if (self->closing_) self->finish(self->close_reason_);
    });
    *answered_later = true;
  }

  // The registry's answer (at once with the in-process registry, while the event is handled).
  void on_publish_claimed(std::uint32_t stream_id, const std::string& name, hub::PublishResult result) {
    using Outcome = hub::ClaimResult::Outcome;
    if (result.claim.outcome == Outcome::max_streams) {
      spdlog::warn("{}: publish refused: {} streams live (max_streams)", context_, result.claim.held);
      server_.stats.refuse(Refusal::max_streams);
      codec_.reject_publish(stream_id, "NetStream.Publish.Rejected", "too many streams");
      close_soon("max streams");
      return;
    }
    if (result.claim.outcome == Outcome::unavailable) {  // a cluster node without its Redis
      spdlog::warn("{}: publish refused: the cluster registry (Redis) is unreachable", context_);
      codec_.reject_publish(stream_id, "NetStream.Publish.Rejected", "cluster registry unreachable");
      close_soon("registry unreachable");
      return;
    }
    if (!result.claim.granted()) {
      spdlog::warn("{}: publish refused: stream is already publishing{}", context_,
                   result.claim.holder.empty() ? "" : " on node " + log_text(result.claim.holder));
      codec_.reject_publish(stream_id, "NetStream.Publish.BadName", "already publishing");
      close_soon("already publishing");
      return;
    }
    // An encoder reconnecting after a network drop found its old connection still holding the
    // stream: a publisher silent for limits.stale_publisher was replaced (PRODUCT.md section 3).
    if (result.claim.replaced) {
      spdlog::warn("{}: takes the stream over from {} (no media for {} s: stale_publisher)", context_,
                   result.claim.replaced->ip, config_->limits.stale_publisher);
    }
    role_ = Publishing{std::move(result.publication), stream_id, Clock::now()};
    codec_.accept_publish(stream_id, name);
    sender_->set_log_context(context_);
    spdlog::info("{}: publish started", context_);
  }

  void handle(rtmp::PlayEvent& e) {
    if (!app_ || !is<Undecided>()) {
      codec_.reject_play(e.stream_id, "NetStream.Play.Failed", "play not allowed here");
      close_soon("bad play");
      return;
    }
    context_ = peer_context_ + " " + app_name_ + "/" + log_text(e.stream, kMaxLoggedName);
    if (const auto problem = name_problem(e.stream); !problem.empty()) {
      codec_.reject_play(e.stream_id, "NetStream.Play.StreamNotFound", problem);
      close_soon("invalid name");
      return;
    }
    const auto query = merged_query(e.query);
    const access::PlayAttempt attempt{app_name_, e.stream, query, access::Delivery::rtmp, unix_now()};
    // Another cluster node pulling the stream for its players: they passed its play auth there.
    if (auto node = server_.access.admit_pull(attempt)) {
      puller_ = std::move(*node);
      spdlog::info("{}: play by cluster node {} (edge pull, app play auth not asked)", context_, log_text(puller_));
    } else if (const auto admission = server_.access.admit_play(*config_, attempt); !admission.ok()) {
      spdlog::warn("{}: play refused: {}", context_, admission.decision.reason);
      codec_.reject_play(e.stream_id, "NetStream.Play.Rejected", admission.decision.reason);
      close_soon("play refused");
      return;
    }
    role_ = WaitingToPlay{e.stream_id, e.stream, Clock::now() + seconds(config_->limits.play_wait)};
    try_play();
  }

  // On a cluster node, a stream another node owns is pulled here: the player waits for the pull
  // (kEdgeWait at most). False when there is nothing to wait for.
  bool wait_for_edge(WaitingToPlay& play) {
    // A pull is never pulled on: a node that does not own the stream answers "not found".
    if (!server_.edge || !puller_.empty() || edge_wait_ == EdgeWait::no_stream) return false;
    const hub::StreamKey key{app_name_, play.stream};
    if (edge_wait_ == EdgeWait::waiting) {
      if (Clock::now() >= play.deadline) return false;
      server_.edge->want(key, shard_, {});  // still here: the pull keeps going
      return true;
    }
    edge_wait_ = EdgeWait::waiting;
    play.deadline = std::max(play.deadline, Clock::now() + kEdgeWait);
    server_.edge->want(key, shard_, [weak = weak_from_this()](bool live) {
      auto self = weak.lock();
      if (!self || self->finished_ || !self->is<WaitingToPlay>()) return;
      if (!live) self->edge_wait_ = EdgeWait::no_stream;
      self->try_play();
      self->flush();
      if (self->closing_) self->finish(self->close_reason_);
    });
    return true;
  }

  // Starts a pending play if its stream is live; refuses it once play_wait has passed.
  void try_play() {
    if (!server_.hub.find({app_name_, std::get<WaitingToPlay>(role_).stream}) &&
        wait_for_edge(std::get<WaitingToPlay>(role_))) {
      return;
    }
    const auto play = std::get<WaitingToPlay>(role_);  // a copy: role_ changes below
    auto stream = server_.hub.find({app_name_, play.stream});
    if (!stream) {
      if (Clock::now() < play.deadline) return;  // the tick tries again
      spdlog::info("{}: play refused: stream not found", context_);
      codec_.reject_play(play.stream_id, "NetStream.Play.StreamNotFound", "stream not found");
      role_ = Undecided{};
      close_soon("stream not found");
      return;
    }
    if (play.stream_id != 1) {
      spdlog::warn("{}: plays on message stream {}; media is sent on stream 1", context_, play.stream_id);
    }
    codec_.accept_play(play.stream_id, play.stream);
    flush();
    role_ = Playing{play.stream_id};
    sender_->set_end_handler([weak = weak_from_this(), stream_id = play.stream_id, name = play.stream] {
      auto self = weak.lock();
      if (!self) return;
      spdlog::info("{}: stream ended, closing player", self->context_);
      self->codec_.end_play(stream_id, name);
      self->flush();
      self->sender_->close_after_flush();
    });
    sender_->set_log_context(context_);
    sender_->count_as_player(stream->stats(), hub::PlayProtocol::rtmp);  // a pull counts as one player
    if (!puller_.empty()) pull_served_ = std::make_unique<PullServed>(server_.stats.pulls_served, puller_);
    stream->subscribe(shard_, sender_);
    spdlog::info("{}: play started{}", context_, puller_.empty() ? "" : " (edge pull by node " + log_text(puller_) + ")");
  }

  void handle(rtmp::MediaEvent& e) {
    auto* publisher = publishing();
    if (!publisher || e.stream_id != publisher->stream_id) return;
    publisher->last_media = Clock::now();
    publisher->publication.publish(media::make_packet(e.type, e.timestamp, e.body));
  }

  void handle(rtmp::CloseStreamEvent& e) {
    if (const auto* publisher = publishing(); publisher && e.stream_id == publisher->stream_id) {
      stop_publishing("closed");
    }
    if (const auto* player = std::get_if<Playing>(&role_); player && e.stream_id == player->stream_id) {
      close_soon("player closed the stream");
    }
  }

  // Ends the publication (observers are told why) and leaves the connection undecided: an encoder
  // may publish again on it.
  void stop_publishing(const std::string& reason) {
    auto* publisher = publishing();
    if (!publisher || !publisher->publication) return;
    auto& publication = publisher->publication;
    spdlog::info("{}: publish ended ({}), {} bytes in", context_, reason, publication.stream().bytes_in());
    publication.end(reason);
    role_ = Undecided{};
  }

  void tick() {
    timer_.expires_after(kTick);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->finished_) return;
      self->check_timers();
      // A player has no deadline left (its sender watches its writes): no timer per player.
      if (!self->finished_ && !self->is<Playing>()) self->tick();
    });
  }

  void check_timers() {
    const auto now = Clock::now();
    const auto& limits = config_->limits;
    if (!codec_.connected() && now - started_ > seconds(limits.handshake_timeout)) {
      spdlog::warn("{}: no connect within {} s, closing (handshake_timeout)", context_, limits.handshake_timeout);
      server_.stats.refuse(Refusal::handshake_timeout);
      finish("handshake timeout");
      return;
    }
    // Connected but neither publishing nor playing (a client that goes quiet after connect, or
    // the end of a publish on a connection left open): such a session would hold a place in
    // max_connections for nothing.
    if (codec_.connected() && is<Undecided>()) {
      if (!idle_since_) {
        idle_since_ = now;
      } else if (now - *idle_since_ > seconds(limits.handshake_timeout)) {
        spdlog::warn("{}: connected but neither publishing nor playing for {} s, closing (handshake_timeout)",
                     context_, limits.handshake_timeout);
        server_.stats.refuse(Refusal::handshake_timeout);
        finish("idle");
        return;
      }
    } else {
      idle_since_.reset();
    }
    if (const auto* publisher = publishing(); publisher && now - publisher->last_media > seconds(limits.publish_timeout)) {
      spdlog::warn("{}: publisher sent nothing for {} s, cutting it", context_, limits.publish_timeout);
      finish("timeout");
      return;
    }
    if (is<WaitingToPlay>()) {
      try_play();
      flush();
      if (closing_) finish(close_reason_);
    }
  }

  // The one way out: ends publishing, stops timers, lets queued replies go, then closes.
  void finish(const std::string& reason) {
    if (finished_) return;
    finished_ = true;
    stop_publishing(reason);
    timer_.cancel();
    if (is<Playing>()) spdlog::info("{}: player left ({}), {} bytes sent", context_, reason, sender_->bytes_sent());
    spdlog::debug("{}: session ends: {}", context_, reason);
    sender_->close_after_flush();
  }

  ServerContext& server_;
  Shard& shard_;
  ConnectionCount count_;
  std::shared_ptr<Transport> transport_;
  std::shared_ptr<const config::Config> config_;  // the snapshot this connection started with
  rtmp::ServerSession codec_;
  std::shared_ptr<Sender> sender_;
  asio::steady_timer timer_;
  Clock::time_point started_;
  std::optional<Clock::time_point> idle_since_;  // connected, neither publishing nor playing
  Bytes read_buffer_;
  std::vector<rtmp::Event> events_;

  std::string ip_;
  std::string peer_context_;  // "rtmp IP:PORT"
  std::string context_;       // "rtmp IP:PORT APP/STREAM" (escaped), the prefix of every log line
  const config::AppConfig* app_ = nullptr;
  std::string app_name_;
  common::Query connect_query_;

  Role role_;
  std::string puller_;  // the cluster node pulling the stream, when this play is an edge pull
  std::unique_ptr<PullServed> pull_served_;
  enum class EdgeWait { not_asked, waiting, no_stream };
  EdgeWait edge_wait_ = EdgeWait::not_asked;

  bool closing_ = false;
  std::string close_reason_;
  bool finished_ = false;
};

}  // namespace

void start_rtmp_session(ServerContext& server, std::shared_ptr<Transport> transport, Shard& shard,
                        ConnectionCount place) {
  std::make_shared<RtmpSession>(server, std::move(transport), shard, std::move(place))->start();
}

}  // namespace liveorigin::net
