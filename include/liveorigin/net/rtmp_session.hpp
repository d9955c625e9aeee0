// RTMP connections: publishers feed a hub stream, players subscribe to one.
#pragma once

#include <memory>

#include "liveorigin/net/connection_count.hpp"

namespace liveorigin::net {

class Shard;
class Transport;
struct ServerContext;

// Takes over an accepted connection and its place in the connection count on its shard; the session
// lives until the connection ends.
void start_rtmp_session(ServerContext& server, std::shared_ptr<Transport> transport, Shard& shard,
                        ConnectionCount place);

}  // namespace liveorigin::net
