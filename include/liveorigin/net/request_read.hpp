// How a failed HTTP request read ends, the same on the media port and the API port.
#pragma once

#include <string_view>

#include <boost/system/error_code.hpp>

namespace liveorigin::net {

struct ServerStats;

enum class RequestReadFailure {
  peer_left,    // the peer closed or the read was cancelled: close quietly
  bad_request,  // logged naming the peer and counted (max_http_header or protocol_error): answer 400
};

RequestReadFailure classify_request_read_failure(const boost::system::error_code& ec,
                                                 std::string_view log_context, ServerStats& stats);

}  // namespace liveorigin::net
