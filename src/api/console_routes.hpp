// The operator console's files under /console/ on the API port (web/console/). They hold no data,
// so they are served without the token; the page asks for it and sends it with every API call.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "liveorigin/config/config.hpp"

namespace liveorigin::api {

struct ConsoleRequest {
  std::string_view path;  // percent-decoded, without the query
  std::string_view host;  // the Host header
  std::string_view if_none_match;
  std::string_view accept_encoding;
  bool secure = false;  // the console was asked for over TLS
};

struct ConsoleReply {
  unsigned status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The origin of the media port as the browser reaches it: the request's host, the media port.
std::string media_origin(std::string_view host_header, const config::Endpoint& http, std::string_view scheme = "http");

// The reply for a GET of a console URL (/console, /console/, /console/FILE, /console/media.json),
// or nullopt for any other path.
std::optional<ConsoleReply> console_reply(const config::Config& config, const ConsoleRequest& request);

}  // namespace liveorigin::api
