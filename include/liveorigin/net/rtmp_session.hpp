// RTMP connections: publishers feed a hub stream, players subscribe to one.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "liveorigin/net/connection_count.hpp"

namespace liveorigin::net {

class Shard;
struct ServerContext;

// Takes over an accepted socket and its place in the connection count on its shard; the session
// lives until the connection ends.
void start_rtmp_session(ServerContext& server, boost::asio::ip::tcp::socket socket, Shard& shard,
                        ConnectionCount place);

}  // namespace liveorigin::net
