#include "console_routes.hpp"

#include <nlohmann/json.hpp>

#include "liveorigin/web/assets.hpp"

namespace liveorigin::api {

namespace {

constexpr std::string_view kPrefix = "/console/";

ConsoleReply not_found() {
  return {404, "text/plain", {{"Cache-Control", "no-cache"}}, "not found\n"};
}

}  // namespace

std::string media_origin(std::string_view host_header, const config::Endpoint& http, std::string_view scheme) {
  std::string host(host_header);
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (const auto colon = host.find(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  // No Host header (HTTP/1.0): the listen address, unless it is a wildcard.
  if (host.empty()) host = http.host == "0.0.0.0" || http.host == "::" ? "127.0.0.1" : http.host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  // Only what a host may hold: the value goes into a header and a JSON string.
  if (host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]:") !=
      std::string::npos) {
    host = "127.0.0.1";
  }
  return std::string(scheme) + "://" + host + ":" + std::to_string(http.port);
}

std::optional<ConsoleReply> console_reply(const config::Config& config, const ConsoleRequest& request) {
  const auto path = request.path;
  if (path == "/console") return ConsoleReply{308, "text/plain", {{"Location", "/console/"}}, "see /console/\n"};
  if (!path.starts_with(kPrefix)) return std::nullopt;
  // A console served over TLS plays from the media port over TLS (a page may not load plain media).
  const auto origin = request.secure && config.server.https ? media_origin(request.host, *config.server.https, "https")
                                                            : media_origin(request.host, config.server.http);
  if (path == "/console/media.json") {
    // Where the page finds play links and recordings: the media port, as this browser reaches it.
    return ConsoleReply{200, "application/json", {{"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}},
                        nlohmann::json{{"media_origin", origin}}.dump()};
  }
  const auto asset = web::find_asset(path == kPrefix ? std::string("/console/index.html") : std::string(path));
  if (!asset) return not_found();
  auto answer = web::asset_reply(*asset, {request.if_none_match, request.accept_encoding}, web::page_csp(origin));
  return ConsoleReply{answer.status, std::move(answer.content_type), std::move(answer.headers),
                      std::string(answer.body.begin(), answer.body.end())};
}

}  // namespace liveorigin::api
