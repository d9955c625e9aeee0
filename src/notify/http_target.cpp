#include "liveorigin/notify/http_target.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

namespace liveorigin::notify {

std::string HttpTarget::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
  return h;
}

std::optional<HttpTarget> parse_http_url(std::string_view url) {
  HttpTarget t;
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    url.remove_prefix(8);
    t.tls = true;
    t.port = 443;
  } else {
    return std::nullopt;
  }
  const auto path_at = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, path_at);
  if (path_at != std::string_view::npos) {
    auto rest = url.substr(path_at);
    rest = rest.substr(0, rest.find('#'));  // a fragment is never sent
    t.target = rest.starts_with('/') ? std::string(rest) : "/" + std::string(rest);
  }
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials in URLs
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    t.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (t.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return std::nullopt;
    }
    t.port = static_cast<std::uint16_t>(port);
  }
  return t;
}

std::string response_error(unsigned status, std::string_view body) {
  if (status < 200 || status > 299) return "HTTP " + std::to_string(status);
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("code")) {
    return "HTTP " + std::to_string(status) + " without a JSON body {\"code\":0}";
  }
  const auto& code = json["code"];
  if (code.is_number_integer() && code.get<std::int64_t>() == 0) return {};
  return "HTTP " + std::to_string(status) + " with code " + code.dump();
}

}  // namespace liveorigin::notify
