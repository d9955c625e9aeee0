#include "liveorigin/api/router.hpp"

#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"

namespace liveorigin::api {

namespace {
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& path, Params& params) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (!pattern[i].empty() && pattern[i][0] == ':') {
      params[pattern[i].substr(1)] = path[i];
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}
}  // namespace

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  routes_.push_back({std::move(method), split_path(pattern), std::move(handler)});
}

Response Router::dispatch(const Request& request) const {
  const auto path = split_path(request.path);
  bool path_known = false;
  for (const auto& route : routes_) {
    Params params;
    if (!match(route.parts, path, params)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    try {
      return route.handler(request, params);
    } catch (const ApiError& e) {
      return error_response(e.status, e.code, e.what());
    } catch (const std::exception& e) {
      spdlog::error("api {} {}: {}", log_text(request.method), log_text(request.path), log_text(e.what()));
      return error_response(500, 500, "internal error");
    }
  }
  return path_known ? error_response(405, 405, "method not allowed")
                    : error_response(404, 404, "not found");
}

std::string envelope(const Response& response) {
  if (response.raw) return *response.raw;
  if (response.data.is_object() && response.data.contains("code") && response.status >= 400) {
    return response.data.dump();
  }
  nlohmann::json out{{"code", 0}, {"message", "ok"}, {"data", response.data}};
  return out.dump();
}

Response error_response(unsigned status, int code, std::string_view message) {
  Response r;
  r.status = status;
  r.data = nlohmann::json{{"code", code}, {"message", message}};
  return r;
}

nlohmann::json json_body(const Request& request) {
  auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) throw ApiError(400, 400, "request body is not valid JSON");
  if (!body.is_object()) throw ApiError(400, 400, "request body must be a JSON object");
  return body;
}

}  // namespace liveorigin::api
