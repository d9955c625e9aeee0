// Callbacks (PRODUCT.md section 6): publish / unpublish / record events, written to the SQLite
// outbox first, then POSTed as signed JSON by one notifier thread (its own io_context, Beast
// client), retried with backoff until {"code":0}, in order per stream, resumed after a restart.
// The media path only builds a payload and queues one store job: it never waits for a backend.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "liveorigin/config/config_store.hpp"
#include "liveorigin/hub/stream_observer.hpp"
#include "liveorigin/notify/event.hpp"
#include "liveorigin/notify/outbox.hpp"

namespace liveorigin::store {
class Database;
}

namespace liveorigin::notify {

// Counters for /metrics (since start) and the outbox's pending rows (as of the last scan).
struct NotifierMetrics {
  std::uint64_t delivered = 0;
  std::uint64_t retried = 0;  // failed attempts that were scheduled again
  std::uint64_t failed = 0;   // events that ran out of attempts
  std::int64_t queue_depth = 0;
};

// Where an app's events go: the app's notify when its url is set (url and key together), else the
// global one. An empty url means no callbacks.
config::NotifyTarget notify_target(const config::AppConfig* app, const config::Config& config);

class Notifier : public hub::StreamObserver {
 public:
  // The store must outlive the notifier; config gives the notify target for record events and
  // the timeout of each attempt (a live session keeps the target of its publish).
  Notifier(store::Database& db, config::ConfigStore& config);
  ~Notifier() override;  // stops delivering; queued store jobs are drained, pending rows stay
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Starts the notifier thread and resumes every pending row of the outbox.
  void start();

  // StreamObserver: on the stream's shard; builds the event and queues its outbox write.
  void on_publish(const hub::PublishStart& start) override;
  void on_unpublish(hub::Stream& stream, std::string_view reason) override;

  // Any thread, never blocks.
  void record(const RecordEvent& event);

  // For the API (blocks on the store; never call from a shard thread).
  std::vector<OutboxEntry> list(std::optional<CallbackState> state, int limit);
  RequeueResult retry(std::int64_t id);

  NotifierMetrics metrics() const;

 private:
  class Delivery;
  struct Session {
    std::string sequence, client_ip;
    config::NotifyTarget target;
    int max_attempts = 1;
  };

  // Writes the event to the outbox (a store job), then wakes the delivery.
  void enqueue(const config::NotifyTarget& target, int max_attempts, const std::string& stream_key,
               const nlohmann::json& payload);

  store::Database& db_;
  config::ConfigStore& config_;
  std::unique_ptr<Delivery> delivery_;

  std::mutex mutex_;  // sessions_ and last_sequence_: touched by every shard on publish/unpublish
  std::unordered_map<const hub::Stream*, Session> sessions_;
  std::unordered_map<std::string, std::string> last_sequence_;  // APP/STREAM → its last session's
};

}  // namespace liveorigin::notify
