// The browser pages of the media port: GET / (the list of live streams), /streams.json (its data),
// /play/APP/STREAM (the player page) and /static/FILE (their scripts and styles, web/). No sockets
// here: a request in, one Reply out.
#pragma once

#include <optional>
#include <string_view>

#include "liveorigin/config/config.hpp"
#include "liveorigin/hub/hub.hpp"
#include "liveorigin/http/reply.hpp"
#include "request_target.hpp"

namespace liveorigin::http {

struct PageRequest {
  const RequestTarget& target;
  std::string_view if_none_match;
  std::string_view accept_encoding;
};

// Whether `app` may be listed on / : its player page is on and it has no play auth (the list is
// public, and a play-auth app's streams are not).
bool listed_publicly(const config::AppConfig& app);

// The reply for a page URL, or nullopt when the target is not one (another route may take it).
std::optional<Reply> page_reply(const config::Config& config, const hub::Hub& hub, const PageRequest& request);

}  // namespace liveorigin::http
