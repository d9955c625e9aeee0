// An HTTP answer (status, headers, body) that a route hands back to the HTTP session, and the one
// place that writes the head of every answer of the server. The body is shared, so a segment
// served to many players is never copied per player.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
  // The Content-Length when the body goes out apart (a file from disk): the body's by default.
  std::optional<std::uint64_t> length;
  // No Content-Length at all: the body runs until the connection closes (the live FLV stream).
  bool streamed = false;
  // Told the bytes written (head and body) once the answer is out, or cut: usage for billing.
  std::function<void(std::uint64_t)> on_written;

  static Reply text(unsigned status, std::string_view text) {
    Reply r;
    r.status = status;
    r.body = std::make_shared<const Bytes>(text.begin(), text.end());
    return r;
  }
};

const char* reason_phrase(unsigned status);

// The status line and headers of `reply`, ending with the blank line: Server, CORS (media URLs;
// the API has none), Content-Type, Content-Length, the reply's own headers, Connection.
std::string reply_head(const Reply& reply, bool keep_alive, bool cors = true);

}  // namespace liveorigin::http
