// Stream status rows (enabled / disabled, who changed it and when) and the streams that have
// published. Functions run on the store thread: call them inside Database::post / ::call jobs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "liveorigin/store/database.hpp"

namespace liveorigin::store {

struct StreamStatus {
  std::string app, stream;
  std::string status = "enabled";  // enabled | disabled
  std::string changed_by;          // who: "api <client ip>"
  std::int64_t changed_at = 0;     // Unix seconds
};

std::vector<StreamStatus> load_stream_statuses(Connection& c);
std::optional<StreamStatus> find_stream_status(Connection& c, std::string_view app, std::string_view stream);
// Inserts or replaces the row of (app, stream).
void save_stream_status(Connection& c, const StreamStatus& status);

// Streams that have published at least once (so the API knows them while they are offline).
void note_published(Connection& c, std::string_view app, std::string_view stream, std::int64_t at);
bool was_published(Connection& c, std::string_view app, std::string_view stream);

struct StreamName {
  std::string app, stream;
};

// Streams that have published or have a status row (of `app` when set), by app then stream, at most
// `limit` of them: the known streams a list shows beside the live ones.
std::vector<StreamName> list_known_streams(Connection& c, std::optional<std::string_view> app, std::int64_t limit);
// Streams whose status is disabled (of `app` when set), by app then stream, at most `limit`.
std::vector<StreamName> list_disabled_streams(Connection& c, std::optional<std::string_view> app,
                                              std::int64_t limit);

}  // namespace liveorigin::store
