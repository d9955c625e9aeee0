// The routes of the media HTTP port: HTTP-FLV, HLS, recordings (VOD) and the browser pages,
// served by the one HTTP session (liveorigin/http/session.hpp).
#pragma once

#include <memory>

#include "liveorigin/http/session.hpp"

namespace liveorigin::net {
struct ServerContext;
}  // namespace liveorigin::net

namespace liveorigin::hls {
class Library;
}  // namespace liveorigin::hls

namespace liveorigin::http {

// What the media routes serve beyond the hub, owned by the composition root.
struct MediaServices {
  hls::Library* hls = nullptr;  // null: no HLS routes
};

// The media port's routes, one for the listener; they live as long as its sessions.
std::unique_ptr<Routes> media_routes(net::ServerContext& server, MediaServices services = {});

}  // namespace liveorigin::http
