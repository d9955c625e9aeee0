// HLS over the media HTTP port: GET /APP/STREAM.m3u8 and the segments it lists, answered from
// the hls::Library (memory). No sockets here: a request target in, one Reply out.
#pragma once

#include <optional>
#include <string_view>

#include "liveorigin/access/access.hpp"
#include "liveorigin/config/config.hpp"
#include "liveorigin/hls/library.hpp"
#include "liveorigin/hub/usage_meter.hpp"
#include "liveorigin/http/reply.hpp"
#include "request_target.hpp"

namespace liveorigin::http {

struct HlsRequest {
  const RequestTarget& target;
  std::string_view peer_address;  // with user_agent, identifies a player without a session id
  std::string_view user_agent;
  hub::UsageMeter* usage = nullptr;  // counts the bytes served and the players' time
};

// The parameters of a playlist URL's query worth repeating on each segment URI (txSecret, txTime,
// session_id or sid), as they came (still percent-encoded), within a short bound; the rest is dropped.
std::string echoed_query(std::string_view query);

// The reply for an HLS URL, or nullopt when the target is not one (another route may take it).
// Play is admitted by play_access.admit_play like every other way of playing.
std::optional<Reply> hls_reply(hls::Library& library, const access::Access& play_access, const config::Config& config,
                               const HlsRequest& request);

}  // namespace liveorigin::http
