#include "liveorigin/cluster/edge_pull.hpp"

#include <openssl/rand.h>

#include <optional>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/access/cluster_pull.hpp"
#include "liveorigin/common/log.hpp"
#include "liveorigin/hub/hub.hpp"
#include "liveorigin/net/shards.hpp"
#include "liveorigin/rtmp/client_session.hpp"

namespace liveorigin::cluster {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto kTick = 250ms;
constexpr auto kConnectTimeout = 3s;   // resolve + TCP connect + handshake up to the play's start
constexpr auto kFirstRetry = 250ms;    // doubling up to kMaxRetry
constexpr auto kMaxRetry = 2s;
constexpr std::size_t kReadBuffer = 64 * 1024;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "HOST:PORT" or "[V6]:PORT" → host and port; empty host when malformed.
std::pair<std::string, std::string> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return {};
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, address.substr(colon + 1)};
}

}  // namespace

// One stream's pull, on one shard: every member below is used on that shard's thread only, except
// `last_wanted_` (any thread).
class EdgePulls::Pull : public std::enable_shared_from_this<Pull> {
 public:
  Pull(EdgePulls& edge, hub::StreamKey key, net::Shard& shard)
      : edge_(edge), key_(std::move(key)), shard_(shard), socket_(shard.context()), resolver_(shard.context()),
        timer_(shard.context()), context_("edge pull " + log_text(key_.str())), read_buffer_(kReadBuffer) {
    note_wanted();
  }

  void start() {
    shard_.post([self = shared_from_this()] {
      self->last_present_ = Clock::now();
      self->lookup();
      self->tick();
    });
  }

  void note_wanted() { last_wanted_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed); }

  void add_waiter(hub::Loop& loop, std::function<void(bool)> ready) {
    shard_.post([self = shared_from_this(), loop = &loop, ready = std::move(ready)]() mutable {
      if (self->stopped_) {  // ended meanwhile: a new pull answers
        self->edge_.want(self->key_, *loop, std::move(ready));
      } else if (self->publication_) {
        loop->post([ready = std::move(ready)] { ready(true); });
      } else {
        self->waiters_.push_back({loop, std::move(ready), Clock::now() + self->edge_.options_.ready_wait});
      }
    });
  }

 private:
  enum class State { waiting, looking_up, connecting, playing };
  struct Waiter {
    hub::Loop* loop;
    std::function<void(bool)> ready;
    Clock::time_point deadline;
  };

  void answer_waiters(bool live) {
    for (auto& w : waiters_) w.loop->post([ready = std::move(w.ready), live] { ready(live); });
    waiters_.clear();
  }

  // The owner, from its claim in Redis (the Redis thread answers; the rest runs here).
  void lookup() {
    state_ = State::looking_up;
    const auto generation = ++generation_;
    edge_.redis_.command({"GET", edge_.keys_.claim(key_)}, [weak = weak_from_this(), generation](RedisReply reply) {
      if (auto self = weak.lock()) {
        self->shard_.post([self, generation, reply = std::move(reply)] { self->on_owner(reply, generation); });
      }
    });
  }

  void on_owner(const RedisReply& reply, std::uint64_t generation) {
    if (stopped_ || generation != generation_) return;
    if (reply.is_error()) {
      spdlog::warn("{}: cannot look the owner up: {}", context_, reply.text);
      retry_later();
      return;
    }
    const auto claim = reply.type == RedisReply::Type::string ? decode_claim(reply.text) : std::nullopt;
    if (!claim || claim->rtmp.empty() || claim->node == edge_.options_.node_id) {
      if (!publication_) {
        spdlog::info("{}: no node has the stream", context_);
        end("closed");
        return;
      }
      retry_later();  // the owner is gone; its successor may publish soon
      return;
    }
    const auto secret = edge_.server_.access.cluster_secret();
    if (secret.empty()) {
      spdlog::warn("{}: the cluster secret is not loaded from Redis yet; retrying", context_);
      retry_later();
      return;
    }
    connect(*claim, secret);
  }

  void connect(const ClaimValue& owner, const std::string& secret) {
    const auto [host, port] = split_address(owner.rtmp);
    if (host.empty()) {
      spdlog::warn("{}: node {} advertises a bad RTMP address '{}'", context_, log_text(owner.node), log_text(owner.rtmp));
      retry_later();
      return;
    }
    owner_ = owner.node;
    owner_host_ = host;
    {
      std::lock_guard lock(edge_.mutex_);
      edge_.sources_[key_] = owner_;
    }
    state_ = State::connecting;
    connect_deadline_ = Clock::now() + kConnectTimeout;
    const auto generation = ++generation_;
    const auto stream = key_.name + "?" +
                        access::pull_query(secret, key_.app, key_.name, edge_.options_.node_id,
                                           unix_now() + access::kPullCredentialSeconds);
    codec_ = std::make_unique<rtmp::ClientSession>(
        rtmp::PlayTarget{key_.app, "rtmp://" + owner.rtmp + "/" + key_.app, stream});
    spdlog::debug("{}: connecting to node {} at {}", context_, log_text(owner_), log_text(owner.rtmp));
    resolver_.async_resolve(host, port, [self = shared_from_this(), generation](const boost::system::error_code& ec,
                                                                                 tcp::resolver::results_type results) {
      if (self->stopped_ || generation != self->generation_) return;
      if (ec) {
        self->connection_lost("resolve: " + ec.message());
        return;
      }
      asio::async_connect(self->socket_, results, [self, generation](const boost::system::error_code& ec,
                                                                      const tcp::endpoint&) {
        if (self->stopped_ || generation != self->generation_) return;
        if (ec) {
          self->connection_lost("connect: " + ec.message());
          return;
        }
        boost::system::error_code ignored;
        self->socket_.set_option(tcp::no_delay(true), ignored);  // commands are small; media comes the other way
        self->codec_->start();
        self->flush();
        self->read(generation);
      });
    });
  }

  void read(std::uint64_t generation) {
    socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this(), generation](
                                                            const boost::system::error_code& ec, std::size_t n) {
      if (self->stopped_ || generation != self->generation_) return;
      if (ec) {
        self->connection_lost(ec == asio::error::eof ? "closed by the owner" : ec.message());
        return;
      }
      self->edge_.server_.stats.bytes_in.fetch_add(n, std::memory_order_relaxed);
      try {
        self->events_.clear();
        self->codec_->feed(ByteView(self->read_buffer_.data(), n), self->events_);
        for (auto& event : self->events_) {
          std::visit([&self](auto& e) { self->handle(e); }, event);
          if (self->stopped_ || generation != self->generation_) return;
        }
      } catch (const std::exception& e) {
        self->connection_lost(std::string("protocol error: ") + e.what());
        return;
      }
      self->flush();
      self->read(generation);
    });
  }

  // What the codec has to say goes out in order; one write at a time.
  void flush() {
    if (codec_ && codec_->has_output()) {
      const auto out = codec_->take_output();
      queued_.insert(queued_.end(), out.begin(), out.end());
    }
    if (writing_ || queued_.empty()) return;
    writing_ = true;
    sending_.swap(queued_);
    queued_.clear();
    asio::async_write(socket_, asio::buffer(sending_), [self = shared_from_this(), generation = generation_](
                                                           const boost::system::error_code& ec, std::size_t) {
      self->writing_ = false;
      self->sending_.clear();
      if (self->stopped_) return;
      if (generation != self->generation_) {  // a write of a closed connection: the next one's may wait
        self->flush();
        return;
      }
      if (ec) {
        self->connection_lost("write: " + ec.message());
        return;
      }
      self->flush();
    });
  }

  void handle(rtmp::PlayStartedEvent&) {
    state_ = State::playing;
    attempt_ = 0;
    if (lost_since_) {
      spdlog::info("{}: resumed from node {} after {} ms", context_, log_text(owner_),
                   std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *lost_since_).count());
      lost_since_.reset();
      rebase_ = true;  // the new owner's timestamps continue where the last ones stopped
      ++edge_.reconnects_;
      return;
    }
    publish();
  }

  void handle(rtmp::PlayStoppedEvent& e) {
    if (e.refused) {
      ++edge_.failed_;
      spdlog::warn("{}: node {} refused the pull: {} {}", context_, log_text(owner_), log_text(e.code),
                   log_text(e.description));
      close_socket();
      retry_later();
      return;
    }
    spdlog::info("{}: the stream ended on node {} ({})", context_, log_text(owner_), log_text(e.code));
    end("closed");
  }

  void handle(rtmp::MediaEvent& e) {
    if (!publication_) return;
    const bool media = e.type != media::MediaType::data;
    if (rebase_ && media) {
      offset_ = last_timestamp_ ? std::int64_t(*last_timestamp_) + 1 - std::int64_t(e.timestamp) : 0;
      rebase_ = false;
    }
    const auto timestamp =
        rebase_ ? last_timestamp_.value_or(0) : static_cast<std::uint32_t>(std::int64_t(e.timestamp) + offset_);
    if (media) last_timestamp_ = timestamp;
    publication_.publish(media::make_packet(e.type, timestamp, e.body));
  }

  // The pulled stream enters the hub as a publication of its own kind: no claim in Redis, no
  // callbacks, no recording (the owner does those).
  void publish() {
    auto config = edge_.server_.config.get();
    const auto* app = config->find_app(key_.app);
    if (!app) {
      spdlog::warn("{}: app unknown on this node", context_);
      end("error");
      return;
    }
    hub::PublishRequest request{
        .key = key_,
        .loop = &shard_,
        .publisher = {owner_host_, "rtmp", unix_now(), owner_},
        .options = {.gop_cache = app->gop_cache},
        .config = config,
        .app = app,
        .query = {},
        .on_stop = [weak = weak_from_this()](const std::string& reason) {
          if (auto self = weak.lock()) self->end(reason);
        }};
    edge_.server_.hub.publish(std::move(request), [self = shared_from_this()](hub::PublishResult result) {
      if (!result.claim.granted()) {  // a publisher here has the stream now: players find it
        self->answer_waiters(true);
        self->end("closed");
        return;
      }
      self->publication_ = std::move(result.publication);
      spdlog::info("{}: pulling from node {} ({})", self->context_, log_text(self->owner_), log_text(self->owner_host_));
      self->answer_waiters(true);
    });
  }

  void close_socket() {
    ++generation_;  // handlers of this connection find a newer generation and stop
    boost::system::error_code ignored;
    resolver_.cancel();
    socket_.close(ignored);
    socket_ = tcp::socket(shard_.context());
    codec_.reset();
    queued_.clear();
  }

  void connection_lost(const std::string& why) {
    if (state_ != State::playing) {
      ++edge_.failed_;
    } else if (publication_ && !lost_since_) {
      lost_since_ = Clock::now();
    }
    spdlog::warn("{}: connection to node {} {}: {}; looking the owner up again", context_,
                 owner_.empty() ? "?" : log_text(owner_), state_ == State::playing ? "lost" : "failed", log_text(why));
    close_socket();
    retry_later();
  }

  void retry_later() {
    state_ = State::waiting;
    const auto delay = std::min<Clock::duration>(kFirstRetry * (1 << std::min(attempt_, 4)), kMaxRetry);
    ++attempt_;
    retry_at_ = Clock::now() + delay;
  }

  bool players_present() const {
    if (Clock::now().time_since_epoch().count() - last_wanted_.load(std::memory_order_relaxed) <
        std::chrono::duration_cast<Clock::duration>(edge_.options_.linger).count()) {
      return true;  // a player asked lately (waiting RTMP/FLV players, HLS players fetching)
    }
    if (!publication_) return false;
    const auto& stats = publication_.stream().stats();
    return stats->players(hub::PlayProtocol::rtmp) + stats->players(hub::PlayProtocol::flv) > 0;
  }

  void tick() {
    if (stopped_) return;
    const auto now = Clock::now();
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (now < it->deadline) {
        ++it;
        continue;
      }
      it->loop->post([ready = std::move(it->ready)] { ready(false); });
      it = waiters_.erase(it);
    }
    if (players_present()) last_present_ = now;
    if (now - last_present_ > edge_.options_.linger) {
      spdlog::info("{}: no player for {} ms, pull stopped", context_, edge_.options_.linger.count());
      end("closed");
      return;
    }
    if (lost_since_ && now - *lost_since_ > edge_.options_.reconnect_for) {
      spdlog::warn("{}: no owner to pull from for {} ms, ending the stream", context_,
                   edge_.options_.reconnect_for.count());
      end("closed");
      return;
    }
    if (state_ == State::waiting && now >= retry_at_) lookup();
    if (state_ == State::connecting && now > connect_deadline_) connection_lost("no answer in time");
    timer_.expires_after(kTick);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->tick();
    });
  }

  // Once: players get the end of the stream, the pull leaves the table.
  void end(const std::string& reason) {
    if (stopped_) return;
    stopped_ = true;
    close_socket();
    timer_.cancel();
    answer_waiters(false);
    if (publication_) {
      spdlog::info("{}: pulled stream ended ({}), {} bytes in", context_, reason, publication_.stream().bytes_in());
      publication_.end(reason);
    }
    edge_.forget(key_, this);
  }

  EdgePulls& edge_;
  const hub::StreamKey key_;
  net::Shard& shard_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  const std::string context_;
  std::atomic<Clock::rep> last_wanted_{0};

  State state_ = State::waiting;
  bool stopped_ = false;
  std::uint64_t generation_ = 0;  // the connection handlers belong to; bumped at each close
  std::unique_ptr<rtmp::ClientSession> codec_;
  std::vector<rtmp::ClientEvent> events_;
  Bytes read_buffer_;
  Bytes queued_, sending_;
  bool writing_ = false;
  std::string owner_, owner_host_;
  int attempt_ = 0;
  Clock::time_point retry_at_{}, connect_deadline_{}, last_present_{};
  std::optional<Clock::time_point> lost_since_;  // the live connection dropped; players kept
  std::vector<Waiter> waiters_;
  hub::Publication publication_;
  bool rebase_ = false;
  std::int64_t offset_ = 0;
  std::optional<std::uint32_t> last_timestamp_;
};

EdgePulls::EdgePulls(RedisClient& redis, net::ServerContext& server, EdgeOptions options, Keys keys)
    : redis_(redis), server_(server), options_(std::move(options)), keys_(std::move(keys)) {
  redis_.on_connected([this] { load_secret(); });
}

EdgePulls::~EdgePulls() { clear(); }

// The cluster's secret: the first node to connect creates it (SET NX), every node reads it.
void EdgePulls::load_secret() {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) {
    spdlog::error("cluster: no random bytes for the cluster secret");
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string candidate;
  for (const auto b : random) {
    candidate.push_back(kHex[b >> 4]);
    candidate.push_back(kHex[b & 0xF]);
  }
  redis_.command({"SET", keys_.secret(), candidate, "NX"}, [this](const RedisReply&) {
    redis_.command({"GET", keys_.secret()}, [this](const RedisReply& reply) {
      if (reply.type != RedisReply::Type::string || reply.text.empty()) {
        spdlog::error("cluster: cannot read the cluster secret from Redis: {}", reply.text);
        return;
      }
      if (server_.access.cluster_secret() != reply.text) spdlog::info("cluster: pull credential secret loaded");
      server_.access.set_cluster_secret(reply.text);
    });
  });
}

void EdgePulls::want(const hub::StreamKey& key, hub::Loop& loop, std::function<void(bool)> ready) {
  std::shared_ptr<Pull> pull;
  bool fresh = false;
  {
    std::lock_guard lock(mutex_);
    auto& slot = pulls_[key];
    if (!slot) {
      auto& shard = server_.shards.at(next_shard_++ % server_.shards.size());
      slot = std::make_shared<Pull>(*this, key, shard);
      fresh = true;
      ++started_;
    }
    pull = slot;
  }
  pull->note_wanted();
  if (fresh) pull->start();
  if (ready) pull->add_waiter(loop, std::move(ready));
}

void EdgePulls::forget(const hub::StreamKey& key, const Pull* pull) {
  std::lock_guard lock(mutex_);
  if (const auto it = pulls_.find(key); it != pulls_.end() && it->second.get() == pull) {
    pulls_.erase(it);
    sources_.erase(key);
  }
}

std::string EdgePulls::source_of(const hub::StreamKey& key) const {
  std::lock_guard lock(mutex_);
  const auto it = sources_.find(key);
  return it == sources_.end() ? std::string() : it->second;
}

void EdgePulls::clear() {
  std::map<hub::StreamKey, std::shared_ptr<Pull>> pulls;
  {
    std::lock_guard lock(mutex_);
    pulls.swap(pulls_);
    sources_.clear();
  }
}

EdgePulls::Metrics EdgePulls::metrics() const {
  Metrics m;
  {
    std::lock_guard lock(mutex_);
    m.active = static_cast<std::int64_t>(pulls_.size());
  }
  m.started = started_.load();
  m.failed = failed_.load();
  m.reconnects = reconnects_.load();
  for (const auto& stream : server_.hub.streams()) {
    if (!stream->publisher().pulled()) continue;
    m.players += stream->stats()->players(hub::PlayProtocol::rtmp) + stream->stats()->players(hub::PlayProtocol::flv);
  }
  return m;
}

}  // namespace liveorigin::cluster
