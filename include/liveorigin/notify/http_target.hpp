// What the notifier's HTTP client needs to know without sockets: where a callback URL points and
// whether a backend's answer counts as delivered (HTTP 2xx and a JSON body whose code is 0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace liveorigin::notify {

struct HttpTarget {
  bool tls = false;  // https
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 80;
  std::string target = "/";  // path and query

  // The Host header value: host[:port], the port only when not the scheme's default.
  std::string host_header() const;
};

// http://HOST[:PORT][/PATH][?QUERY] or https://…; nullopt for anything else.
std::optional<HttpTarget> parse_http_url(std::string_view url);

// Empty when the answer means delivered; otherwise why it does not (kept as last_error).
std::string response_error(unsigned status, std::string_view body);

}  // namespace liveorigin::notify
