#include "liveorigin/net/request_read.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {

RequestReadFailure classify_request_read_failure(const boost::system::error_code& ec,
                                                 std::string_view log_context, ServerStats& stats) {
  namespace asio = boost::asio;
  namespace bhttp = boost::beast::http;
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
    return RequestReadFailure::peer_left;
  }
  const bool too_big = ec == bhttp::error::header_limit;
  spdlog::warn("{}: bad request: {}{}", log_context, ec.message(), too_big ? " (max_http_header)" : "");
  stats.refuse(too_big ? Refusal::max_http_header : Refusal::protocol_error);
  return RequestReadFailure::bad_request;
}

}  // namespace liveorigin::net
