// The media HTTP port: HTTP-FLV today (HLS, recordings and the player page come later).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "liveorigin/net/connection_count.hpp"

namespace liveorigin::net {
class Shard;
}  // namespace liveorigin::net

namespace liveorigin::hls {
class Library;
}  // namespace liveorigin::hls

namespace liveorigin::http {

// What the media routes serve beyond the hub, owned by the composition root.
struct MediaServices {
  hls::Library* hls = nullptr;  // null: no HLS routes
};

// Takes over an accepted socket and its place in the connection count on its shard; the session
// lives until the connection ends.
void start_media_session(net::ServerContext& server, boost::asio::ip::tcp::socket socket,
                         net::Shard& shard, net::ConnectionCount place, MediaServices services = {});

}  // namespace liveorigin::http
