#include "liveorigin/notify/outbox.hpp"

#include <algorithm>

#include "liveorigin/store/database.hpp"

namespace liveorigin::notify {

namespace {
constexpr std::string_view kColumns =
    "id, event_id, stream_key, url, payload, state, attempts, max_attempts, next_attempt_ms, last_error, "
    "created_ms, updated_ms";

std::string select(std::string_view rest) { return "SELECT " + std::string(kColumns) + " FROM callbacks " + std::string(rest); }

OutboxEntry read_row(const store::Statement& s) {
  OutboxEntry e;
  e.id = s.column_int(0);
  e.event_id = s.column_text(1);
  e.stream_key = s.column_text(2);
  e.url = s.column_text(3);
  e.payload = s.column_text(4);
  e.state = parse_state(s.column_text(5)).value_or(CallbackState::pending);
  e.attempts = static_cast<int>(s.column_int(6));
  e.max_attempts = static_cast<int>(s.column_int(7));
  e.next_attempt_ms = s.column_int(8);
  e.last_error = s.column_text(9);
  e.created_ms = s.column_int(10);
  e.updated_ms = s.column_int(11);
  return e;
}

std::vector<OutboxEntry> read_all(store::Statement& s) {
  std::vector<OutboxEntry> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}
}  // namespace

std::string_view to_string(CallbackState state) {
  switch (state) {
    case CallbackState::pending: return "pending";
    case CallbackState::delivered: return "delivered";
    case CallbackState::failed: return "failed";
  }
  return "pending";
}

std::optional<CallbackState> parse_state(std::string_view text) {
  for (auto s : {CallbackState::pending, CallbackState::delivered, CallbackState::failed}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

std::int64_t backoff_ms(int failed_attempts) {
  if (failed_attempts < 1) return 0;
  const int doublings = std::min(failed_attempts - 1, 30);  // no overflow; the cap wins long before
  return std::min(kFirstBackoffMs << doublings, kMaxBackoffMs);
}

void Outbox::insert(const NewCallback& cb, std::int64_t now_ms) {
  c_.prepare(
        "INSERT OR IGNORE INTO callbacks (event_id, stream_key, url, payload, state, attempts, max_attempts, "
        "next_attempt_ms, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6, ?6, ?6)")
      .bind(1, cb.event_id)
      .bind(2, cb.stream_key)
      .bind(3, cb.url)
      .bind(4, cb.payload)
      .bind(5, std::int64_t{std::max(cb.max_attempts, 1)})
      .bind(6, now_ms)
      .run();
}

std::vector<OutboxEntry> Outbox::heads() {
  // SQLite takes the bare columns of an aggregate query from the row that has the MIN.
  auto s = c_.prepare("SELECT " + std::string(kColumns) +
                      ", MIN(id) FROM callbacks WHERE state = 'pending' GROUP BY stream_key ORDER BY id");
  return read_all(s);
}

std::optional<OutboxEntry> Outbox::head(std::string_view stream_key) {
  auto s = c_.prepare(select("WHERE state = 'pending' AND stream_key = ?1 ORDER BY id LIMIT 1"));
  s.bind(1, stream_key);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

std::optional<PublishSession> Outbox::last_publish(std::string_view stream_key, std::int64_t at_ms) {
  auto s = c_.prepare(
      "SELECT json_extract(payload, '$.sequence'), json_extract(payload, '$.client_ip') FROM callbacks "
      "WHERE stream_key = ?1 AND json_extract(payload, '$.event') = 'publish' "
      "AND json_extract(payload, '$.event_time') <= ?2 ORDER BY id DESC LIMIT 1");
  s.bind(1, stream_key).bind(2, at_ms);
  if (!s.step()) return std::nullopt;
  return PublishSession{s.column_text(0), s.column_text(1)};
}

AttemptOutcome Outbox::record_attempt(std::int64_t id, const std::string& error, std::int64_t now_ms) {
  const auto row = find(id);
  if (!row || row->state != CallbackState::pending) return AttemptOutcome::failed;
  const int attempts = row->attempts + 1;
  if (error.empty()) {
    c_.prepare("UPDATE callbacks SET state = 'delivered', attempts = ?2, last_error = '', updated_ms = ?3 WHERE id = ?1")
        .bind(1, id)
        .bind(2, std::int64_t{attempts})
        .bind(3, now_ms)
        .run();
    return AttemptOutcome::delivered;
  }
  const bool last = attempts >= row->max_attempts;
  c_.prepare(
        "UPDATE callbacks SET state = ?2, attempts = ?3, next_attempt_ms = ?4, last_error = ?5, updated_ms = ?6 "
        "WHERE id = ?1")
      .bind(1, id)
      .bind(2, last ? "failed" : "pending")
      .bind(3, std::int64_t{attempts})
      .bind(4, last ? row->next_attempt_ms : now_ms + backoff_ms(attempts))
      .bind(5, error)
      .bind(6, now_ms)
      .run();
  return last ? AttemptOutcome::failed : AttemptOutcome::retry_scheduled;
}

std::vector<OutboxEntry> Outbox::list(std::optional<CallbackState> state, int limit) {
  auto s = c_.prepare(select(state ? "WHERE state = ?1 ORDER BY id DESC LIMIT ?2" : "ORDER BY id DESC LIMIT ?2"));
  if (state) s.bind(1, to_string(*state));
  s.bind(2, std::int64_t{std::max(limit, 0)});
  return read_all(s);
}

std::optional<OutboxEntry> Outbox::find(std::int64_t id) {
  auto s = c_.prepare(select("WHERE id = ?1"));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

RequeueResult Outbox::requeue(std::int64_t id, std::int64_t now_ms) {
  const auto row = find(id);
  if (!row) return RequeueResult::not_found;
  if (row->state != CallbackState::failed) return RequeueResult::not_failed;
  c_.prepare("UPDATE callbacks SET state = 'pending', attempts = 0, next_attempt_ms = ?2, updated_ms = ?2 WHERE id = ?1")
      .bind(1, id)
      .bind(2, now_ms)
      .run();
  return RequeueResult::requeued;
}

std::int64_t Outbox::pending_count() {
  auto s = c_.prepare("SELECT COUNT(*) FROM callbacks WHERE state = 'pending'");
  return s.step() ? s.column_int(0) : 0;
}

int Outbox::prune_delivered(std::int64_t before_ms) {
  c_.prepare("DELETE FROM callbacks WHERE state = 'delivered' AND updated_ms < ?1").bind(1, before_ms).run();
  return c_.changes();
}

}  // namespace liveorigin::notify
