// The callbacks outbox (table `callbacks`): every event is a row before anything is sent, and
// the row's state machine is the delivery's truth, so a restart resumes exactly where it was.
//   pending --2xx + {"code":0}--> delivered
//   pending --failed attempt, attempts left--> pending (next_attempt_ms = now + backoff)
//   pending --failed attempt, none left--> failed (last_error kept) --API retry--> pending
// Runs on the store thread (a store::Connection); no I/O besides SQLite.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace liveorigin::store {
class Connection;
}

namespace liveorigin::notify {

enum class CallbackState { pending, delivered, failed };
std::string_view to_string(CallbackState state);
std::optional<CallbackState> parse_state(std::string_view text);

struct OutboxEntry {
  std::int64_t id = 0;
  std::string event_id;
  std::string stream_key;  // APP/STREAM
  std::string url;
  std::string payload;  // the JSON body, as sent
  CallbackState state = CallbackState::pending;
  int attempts = 0;
  int max_attempts = 1;
  std::int64_t next_attempt_ms = 0;
  std::string last_error;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct NewCallback {
  std::string event_id, stream_key, url, payload;
  int max_attempts = 4;  // 1 + notify.retries
};

// The sequence and publisher of one publishing session, as its publish event carried them.
struct PublishSession {
  std::string sequence, client_ip;
};

// What a failed attempt led to.
enum class AttemptOutcome { delivered, retry_scheduled, failed };
enum class RequeueResult { requeued, not_found, not_failed };

inline constexpr std::int64_t kFirstBackoffMs = 1000;
inline constexpr std::int64_t kMaxBackoffMs = 60000;
// Delay after the n-th failed attempt (n >= 1): 1 s, 2 s, 4 s, ... capped at kMaxBackoffMs.
std::int64_t backoff_ms(int failed_attempts);

class Outbox {
 public:
  explicit Outbox(store::Connection& connection) : c_(connection) {}

  // Due at once. A second row with the same event_id is ignored (an event is written once).
  void insert(const NewCallback& callback, std::int64_t now_ms);
  // The oldest pending row of each stream: the only ones that may be sent (order per stream).
  std::vector<OutboxEntry> heads();
  // The oldest pending row of one stream (what may go next once its previous event is settled).
  std::optional<OutboxEntry> head(std::string_view stream_key);
  // Records one attempt of a pending row: error empty = delivered.
  AttemptOutcome record_attempt(std::int64_t id, const std::string& error, std::int64_t now_ms);
  // Newest first; every state when state is empty.
  std::vector<OutboxEntry> list(std::optional<CallbackState> state, int limit);
  std::optional<OutboxEntry> find(std::int64_t id);
  // A failed row goes back to pending with a fresh set of attempts, due at once.
  RequeueResult requeue(std::int64_t id, std::int64_t now_ms);
  std::int64_t pending_count();
  // The stream's last publish event written at or before at_ms: the session a file recovered
  // after a restart belongs to (the process that knew it is gone).
  std::optional<PublishSession> last_publish(std::string_view stream_key, std::int64_t at_ms);
  // Deletes delivered rows last touched before cutoff; returns how many.
  int prune_delivered(std::int64_t before_ms);

 private:
  store::Connection& c_;
};

}  // namespace liveorigin::notify
