// A complete HTTP answer (status, headers, body) that a route hands back to the media session.
// The body is shared, so a segment served to many players is never copied per player.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "liveorigin/common/bytes.hpp"

namespace liveorigin::http {

struct Reply {
  unsigned status = 200;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Server, CORS, length
  std::shared_ptr<const Bytes> body;

  static Reply text(unsigned status, std::string_view text) {
    Reply r;
    r.status = status;
    r.body = std::make_shared<const Bytes>(text.begin(), text.end());
    return r;
  }
};

const char* reason_phrase(unsigned status);

// The status line and headers of `reply`, ending with the blank line.
std::string reply_head(const Reply& reply, bool keep_alive);

}  // namespace liveorigin::http
