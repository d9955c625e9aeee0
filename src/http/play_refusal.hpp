// The HTTP answer to a play that access::Access::admit_play refused, the same for HTTP-FLV, HLS
// and recordings: 400 for a bad name, 404 for an unknown app or a delivery that is off, 403 for
// play auth.
#pragma once

#include <string>

#include "liveorigin/access/access.hpp"
#include "liveorigin/http/reply.hpp"

namespace liveorigin::http {

inline unsigned play_refusal_status(const access::Decision& decision) {
  using Refusal = access::Decision::Refusal;
  switch (decision.refusal) {
    case Refusal::bad_name: return 400;
    case Refusal::unknown_app:
    case Refusal::delivery_off: return 404;
    default: return 403;
  }
}

inline Reply play_refusal(const access::Decision& decision) {
  const auto status = play_refusal_status(decision);
  return Reply::text(status, (status == 403 ? "forbidden: " : "") + decision.reason + "\n");
}

}  // namespace liveorigin::http
