// GET/HEAD /vod/APP/STREAM/FILE: landed recordings from DATA/vod, with Range support. The app's
// play auth applies as for live play (txSecret/txTime for STREAM in the query).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "liveorigin/access/access.hpp"
#include "liveorigin/config/config.hpp"
#include "liveorigin/hub/usage_meter.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/write_watch.hpp"
#include "request_target.hpp"

namespace liveorigin::http {

inline bool is_vod_target(const RequestTarget& target) {
  return !target.segments.empty() && target.segments[0] == "vod";
}

struct VodRequest {
  const RequestTarget& target;
  std::string_view range;  // the Range header, empty when absent
  bool head_only = false;
  bool keep_alive = false;
  hub::UsageMeter* usage = nullptr;  // counts the bytes of the files served (usage for billing)
};

// Answers the request through `writer` (an error status, or the file streamed in chunks, under
// limits.idle_timeout), then calls done(keep_alive) so the session reads its next request, or
// closes when false. Admitted by play_access.admit_play: a bad name, an unknown app: 404; play auth: 403.
void serve_vod(std::shared_ptr<net::WriteWatch> writer, const config::Config& config, const access::Access& play_access,
               net::ServerStats& stats, const VodRequest& request, std::function<void(bool)> done);

}  // namespace liveorigin::http
