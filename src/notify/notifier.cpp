#include "liveorigin/notify/notifier.hpp"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "http_post.hpp"
#include "liveorigin/store/database.hpp"

namespace liveorigin::notify {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxInFlight = 64;                        // streams delivered at the same time
constexpr std::int64_t kKeepDeliveredMs = 7 * 24 * 3600 * 1000LL;  // delivered rows kept for the API
constexpr double kDefaultTimeoutS = 5;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

config::NotifyTarget notify_target(const config::AppConfig* app, const config::Config& config) {
  config::NotifyTarget target{config.notify.url, config.notify.key};
  if (app && !app->notify.url.empty()) target.url = app->notify.url;
  if (app && !app->notify.key.empty()) target.key = app->notify.key;
  return target;
}

// The notifier thread: one io_context running every HTTP attempt. The outbox (on the store
// thread) says what is due; this side remembers only which streams have an attempt in flight.
class Notifier::Delivery {
 public:
  Delivery(store::Database& db, config::ConfigStore& config)
      : db_(db), config_(config), tls_(asio::ssl::context::tls_client), work_(io_.get_executor()), timer_(io_) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(asio::ssl::verify_peer);
  }

  ~Delivery() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    // Store jobs queued by this side refer to it: let them run (their posts to the stopped
    // io_context are dropped with it) before anything here goes away.
    db_.call([](store::Connection&) {});
  }

  void start() {
    const auto cutoff = unix_ms() - kKeepDeliveredMs;
    db_.post([cutoff](store::Connection& c) {
      if (const int pruned = Outbox(c).prune_delivered(cutoff)) spdlog::info("notify: pruned {} old delivered callbacks", pruned);
    });
    thread_ = std::thread([this] { io_.run(); });
    wake();
  }

  // On the store thread: a new event goes to disk first; only then may it be sent.
  void add(Outbox& outbox, const config::NotifyTarget& target, int max_attempts, const std::string& stream_key,
           const nlohmann::json& payload) {
    outbox.insert({payload.at("event_id").get<std::string>(), stream_key, target.url, payload.dump(), max_attempts},
                  unix_ms());
    wake(1);
  }

  // Any thread: the outbox has `added` more pending rows; look at it again.
  void wake(int added = 0) {
    queue_depth_.fetch_add(added, std::memory_order_relaxed);
    asio::post(io_, [this] { scan(); });
  }

  NotifierMetrics metrics() const {
    return {delivered_.load(std::memory_order_relaxed), retried_.load(std::memory_order_relaxed),
            failed_.load(std::memory_order_relaxed), queue_depth_.load(std::memory_order_relaxed)};
  }

 private:
  // On io_: asks the store for the head of every stream's queue. One scan at a time; a wake
  // during a scan runs one more afterwards.
  void scan() {
    if (scanning_) {
      rescan_ = true;
      return;
    }
    scanning_ = true;
    db_.post([this](store::Connection& c) {
      Outbox outbox(c);
      auto heads = outbox.heads();
      const auto depth = outbox.pending_count();
      asio::post(io_, [this, heads = std::move(heads), depth]() mutable { on_heads(std::move(heads), depth); });
    });
  }

  void on_heads(std::vector<OutboxEntry> heads, std::int64_t depth) {
    scanning_ = false;
    queue_depth_.store(depth, std::memory_order_relaxed);
    const auto now = unix_ms();
    std::optional<std::int64_t> earliest;
    for (auto& head : heads) {
      if (in_flight_.contains(head.stream_key)) continue;  // its completion scans again
      if (head.next_attempt_ms > now) {
        earliest = std::min(earliest.value_or(head.next_attempt_ms), head.next_attempt_ms);
      } else if (in_flight_.size() < kMaxInFlight) {
        attempt(std::move(head));
      } else {
        skipped_ = true;  // a completion scans again
      }
    }
    if (earliest) {
      timer_.expires_after(std::chrono::milliseconds(*earliest - now));
      timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) scan();
      });
    } else {
      timer_.cancel();
    }
    if (rescan_) {
      rescan_ = false;
      scan();
    }
  }

  void attempt(OutboxEntry entry) {
    in_flight_.insert(entry.stream_key);
    auto done = [this, id = entry.id, key = entry.stream_key, event_id = entry.event_id](std::string error) {
      finish(id, key, event_id, std::move(error));
    };
    const auto target = parse_http_url(entry.url);
    if (!target) {
      done("not an http:// or https:// URL: " + entry.url);
      return;
    }
    const auto config = config_.get();
    const double timeout_s = config->notify.timeout;
    const auto timeout = std::chrono::milliseconds(
        static_cast<std::int64_t>((timeout_s > 0 ? timeout_s : kDefaultTimeoutS) * 1000));
    // The stored body, byte for byte, signed with the app's notify key in force now (on a retry
    // after a restart too): what the backend receives is what the header signs.
    const auto app = entry.stream_key.substr(0, entry.stream_key.find('/'));
    auto signature = body_signature(notify_target(config->find_app(app), *config).key, entry.payload);
    async_post_json(io_, tls_, *target, std::move(entry.payload), std::move(signature), timeout, std::move(done));
  }

  // On io_: records the attempt in the outbox, then lets the stream's next event go. The store
  // job also fetches that next event, so a backlog drains without a scan of the whole outbox
  // per delivery.
  void finish(std::int64_t id, std::string stream_key, std::string event_id, std::string error) {
    const auto now = unix_ms();
    db_.post([this, id, stream_key = std::move(stream_key), event_id = std::move(event_id), error = std::move(error),
              now](store::Connection& c) mutable {
      auto outcome = AttemptOutcome::failed;
      std::optional<OutboxEntry> next;
      try {
        Outbox outbox(c);
        outcome = outbox.record_attempt(id, error, now);
        if (outcome != AttemptOutcome::retry_scheduled) next = outbox.head(stream_key);
      } catch (const std::exception& e) {
        spdlog::error("notify: cannot record the attempt of callback {}: {}", id, e.what());
      }
      asio::post(io_, [this, outcome, next = std::move(next), stream_key = std::move(stream_key),
                       event_id = std::move(event_id), error = std::move(error)]() mutable {
        switch (outcome) {
          case AttemptOutcome::delivered:
            delivered_.fetch_add(1, std::memory_order_relaxed);
            queue_depth_.fetch_sub(1, std::memory_order_relaxed);
            spdlog::debug("notify: {} event {} delivered", stream_key, event_id);
            break;
          case AttemptOutcome::retry_scheduled:
            retried_.fetch_add(1, std::memory_order_relaxed);
            spdlog::info("notify: {} event {} attempt failed ({}), will retry", stream_key, event_id, error);
            break;
          case AttemptOutcome::failed:
            failed_.fetch_add(1, std::memory_order_relaxed);
            queue_depth_.fetch_sub(1, std::memory_order_relaxed);
            spdlog::warn("notify: {} event {} failed for good: {}", stream_key, event_id, error);
            break;
        }
        in_flight_.erase(stream_key);
        if (next && next->next_attempt_ms <= unix_ms() && in_flight_.size() < kMaxInFlight) {
          attempt(std::move(*next));  // the stream's next event, at once
        } else if (next || outcome == AttemptOutcome::retry_scheduled) {
          scan();  // not due yet (or no room): the scan arms the timer
        }
        if (skipped_) {
          skipped_ = false;
          scan();
        }
      });
    });
  }

  store::Database& db_;
  config::ConfigStore& config_;
  asio::ssl::context tls_;  // before io_: TLS streams die with io_'s pending handlers
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer timer_;
  std::thread thread_;
  // Only on io_:
  std::set<std::string, std::less<>> in_flight_;  // stream keys with an attempt on the wire
  bool scanning_ = false;
  bool rescan_ = false;
  bool skipped_ = false;  // a due head waited for room in flight
  // Read by metrics() from any thread:
  std::atomic<std::uint64_t> delivered_{0}, retried_{0}, failed_{0};
  std::atomic<std::int64_t> queue_depth_{0};
};

Notifier::Notifier(store::Database& db, config::ConfigStore& config)
    : db_(db), config_(config), delivery_(std::make_unique<Delivery>(db, config)) {}

Notifier::~Notifier() = default;

void Notifier::start() { delivery_->start(); }

void Notifier::on_publish(const hub::PublishStart& start) {
  // A pulled stream is another node's publication: its owner sends the callbacks. Without a
  // session here, on_unpublish sends nothing either.
  if (start.stream.publisher().pulled()) return;
  Session session{new_sequence(), start.client_ip, notify_target(&start.app, start.config),
                  1 + std::max(start.config.notify.retries, 0)};
  const auto& key = start.stream.key();
  {
    std::lock_guard lock(mutex_);
    last_sequence_[key.str()] = session.sequence;
    sessions_[&start.stream] = session;
  }
  if (session.target.url.empty()) return;
  EventHeader header{"publish", kPublishType, new_event_id(), session.sequence, key.app, key.name,
                     session.client_ip, unix_ms()};
  enqueue(session.target, session.max_attempts, key.str(), make_payload(header, session.target.key));
}

void Notifier::on_unpublish(hub::Stream& stream, std::string_view reason) {
  Session session;
  {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(&stream);
    if (it == sessions_.end()) return;  // never seen publishing, or already ended: one unpublish only
    session = std::move(it->second);
    sessions_.erase(it);
  }
  if (session.target.url.empty()) return;
  const auto& key = stream.key();
  EventHeader header{"unpublish", kUnpublishType, new_event_id(), session.sequence, key.app, key.name,
                     session.client_ip, unix_ms()};
  enqueue(session.target, session.max_attempts, key.str(),
          make_unpublish_payload(std::move(header), reason, session.target.key));
}

void Notifier::record(const RecordEvent& event) {
  const auto config = config_.get();
  const auto target = notify_target(config->find_app(event.app), *config);
  if (target.url.empty()) return;
  const std::string stream_key = event.app + "/" + event.stream;
  std::string sequence;
  if (!event.recovered) {
    std::lock_guard lock(mutex_);
    if (const auto it = last_sequence_.find(stream_key); it != last_sequence_.end()) sequence = it->second;
  }
  EventHeader header{"record", kRecordType, new_event_id(), std::move(sequence), event.app, event.stream,
                     event.client_ip, unix_ms()};
  const int max_attempts = 1 + std::max(config->notify.retries, 0);
  if (!event.recovered) {
    enqueue(target, max_attempts, stream_key, make_record_payload(std::move(header), event, target.key));
    return;
  }
  // A file recovered after a restart: its publishing session is no longer in memory (the stream
  // may even publish again meanwhile), but its publish event is in the outbox. The file is named
  // to the second after its first frame.
  db_.post([header = std::move(header), event, target, max_attempts, stream_key,
            delivery = delivery_.get()](store::Connection& c) mutable {
    Outbox outbox(c);
    try {
      if (auto publish = outbox.last_publish(stream_key, (event.start_time + 1) * 1000)) {
        header.sequence = publish->sequence;
        if (header.client_ip.empty()) header.client_ip = publish->client_ip;
      }
    } catch (const std::exception& e) {  // the event goes out anyway, without them
      spdlog::warn("notify: no publishing session found for {}: {}", event.file_path, e.what());
    }
    delivery->add(outbox, target, max_attempts, stream_key, make_record_payload(std::move(header), event, target.key));
  });
}

void Notifier::enqueue(const config::NotifyTarget& target, int max_attempts, const std::string& stream_key,
                       const nlohmann::json& payload) {
  db_.post([target, max_attempts, stream_key, payload, delivery = delivery_.get()](store::Connection& c) {
    Outbox outbox(c);
    delivery->add(outbox, target, max_attempts, stream_key, payload);
  });
}

std::vector<OutboxEntry> Notifier::list(std::optional<CallbackState> state, int limit) {
  return db_.call([&](store::Connection& c) { return Outbox(c).list(state, limit); });
}

RequeueResult Notifier::retry(std::int64_t id) {
  const auto now = unix_ms();
  const auto result = db_.call([&](store::Connection& c) { return Outbox(c).requeue(id, now); });
  if (result == RequeueResult::requeued) delivery_->wake(1);
  return result;
}

NotifierMetrics Notifier::metrics() const { return delivery_->metrics(); }

}  // namespace liveorigin::notify
