#include "liveorigin/store/stream_status.hpp"

namespace liveorigin::store {

namespace {
StreamStatus read_row(const Statement& s) {
  return {s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3), s.column_int(4)};
}
}  // namespace

std::vector<StreamStatus> load_stream_statuses(Connection& c) {
  auto s = c.prepare(
      "SELECT app, stream, status, changed_by, changed_at FROM stream_status ORDER BY app, stream");
  std::vector<StreamStatus> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

std::optional<StreamStatus> find_stream_status(Connection& c, std::string_view app, std::string_view stream) {
  auto s = c.prepare(
      "SELECT app, stream, status, changed_by, changed_at FROM stream_status WHERE app = ? AND stream = ?");
  s.bind(1, app).bind(2, stream);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

void save_stream_status(Connection& c, const StreamStatus& status) {
  auto s = c.prepare(
      "INSERT INTO stream_status (app, stream, status, changed_by, changed_at) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (app, stream) DO UPDATE SET status = excluded.status, "
      "changed_by = excluded.changed_by, changed_at = excluded.changed_at");
  s.bind(1, status.app).bind(2, status.stream).bind(3, status.status).bind(4, status.changed_by)
      .bind(5, status.changed_at);
  s.run();
}

void note_published(Connection& c, std::string_view app, std::string_view stream, std::int64_t at) {
  auto s = c.prepare(
      "INSERT INTO streams_seen (app, stream, first_published_at, last_published_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (app, stream) DO UPDATE SET last_published_at = excluded.last_published_at");
  s.bind(1, app).bind(2, stream).bind(3, at).bind(4, at);
  s.run();
}

bool was_published(Connection& c, std::string_view app, std::string_view stream) {
  auto s = c.prepare("SELECT 1 FROM streams_seen WHERE app = ? AND stream = ?");
  s.bind(1, app).bind(2, stream);
  return s.step();
}

namespace {
// Runs a query whose ?1 is the app filter (NULL: every app) and ?2 the row limit.
std::vector<StreamName> stream_names(Connection& c, std::string_view sql, std::optional<std::string_view> app,
                                     std::int64_t limit) {
  auto s = c.prepare(sql);
  if (app) {
    s.bind(1, *app);
  } else {
    s.bind_null(1);
  }
  s.bind(2, limit);
  std::vector<StreamName> out;
  while (s.step()) out.push_back({s.column_text(0), s.column_text(1)});
  return out;
}
}  // namespace

std::vector<StreamName> list_known_streams(Connection& c, std::optional<std::string_view> app, std::int64_t limit) {
  return stream_names(c,
                      "SELECT app, stream FROM streams_seen WHERE ?1 IS NULL OR app = ?1 "
                      "UNION SELECT app, stream FROM stream_status WHERE ?1 IS NULL OR app = ?1 "
                      "ORDER BY app, stream LIMIT ?2",
                      app, limit);
}

std::vector<StreamName> list_disabled_streams(Connection& c, std::optional<std::string_view> app,
                                              std::int64_t limit) {
  return stream_names(c,
                      "SELECT app, stream FROM stream_status WHERE status = 'disabled' AND (?1 IS NULL OR app = ?1) "
                      "ORDER BY app, stream LIMIT ?2",
                      app, limit);
}

}  // namespace liveorigin::store
