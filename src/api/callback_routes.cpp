#include "liveorigin/api/callback_routes.hpp"

#include <charconv>

namespace liveorigin::api {

namespace {
constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

int parse_int(const std::string& text, std::string_view what) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > INT32_MAX) {
    throw ApiError(400, 400, std::string(what) + " must be a non-negative integer");
  }
  return static_cast<int>(value);
}
}  // namespace

nlohmann::json callback_json(const notify::OutboxEntry& e) {
  auto payload = nlohmann::json::parse(e.payload, nullptr, false);
  return {{"id", e.id},
          {"event_id", e.event_id},
          {"event", payload.is_object() ? payload.value("event", "") : ""},
          {"stream", e.stream_key},
          {"url", e.url},
          {"state", notify::to_string(e.state)},
          {"attempts", e.attempts},
          {"max_attempts", e.max_attempts},
          {"next_attempt_ms", e.next_attempt_ms},
          {"last_error", e.last_error},
          {"created_ms", e.created_ms},
          {"updated_ms", e.updated_ms},
          {"payload", payload.is_discarded() ? nlohmann::json(e.payload) : payload}};
}

void add_callback_routes(Router& router, notify::Notifier& notifier) {
  router.add("GET", "/api/v1/callbacks", [&notifier](const Request& request, const Params&) {
    std::optional<notify::CallbackState> state;
    if (const auto it = request.query.find("state"); it != request.query.end() && !it->second.empty()) {
      state = notify::parse_state(it->second);
      if (!state) throw ApiError(400, 400, "state must be pending, failed or delivered");
    }
    int limit = kDefaultLimit;
    if (const auto it = request.query.find("limit"); it != request.query.end()) {
      limit = std::min(parse_int(it->second, "limit"), kMaxLimit);
    }
    auto list = nlohmann::json::array();
    for (const auto& entry : notifier.list(state, limit)) list.push_back(callback_json(entry));
    Response response;
    response.data = std::move(list);
    return response;
  });

  router.add("POST", "/api/v1/callbacks/:id/retry", [&notifier](const Request&, const Params& params) {
    const auto id = parse_int(params.at("id"), "callback id");
    switch (notifier.retry(id)) {
      case notify::RequeueResult::not_found:
        throw ApiError(404, 404, "no callback " + std::to_string(id));
      case notify::RequeueResult::not_failed:
        throw ApiError(409, 409, "callback " + std::to_string(id) + " is not failed");
      case notify::RequeueResult::requeued:
        break;
    }
    Response response;
    response.data = {{"id", id}, {"state", "pending"}};
    return response;
  });
}

}  // namespace liveorigin::api
