// One POST of a callback body on the notifier's io_context: resolve, connect, TLS for https,
// write, read the answer — each phase bounded by the timeout. No thread per request.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "liveorigin/notify/http_target.hpp"

namespace liveorigin::notify {

// done(error) runs on io: error empty = delivered (2xx and {"code":0}). `signature` goes out as
// the X-Liveorigin-Signature header.
void async_post_json(boost::asio::io_context& io, boost::asio::ssl::context& tls, const HttpTarget& target,
                     std::string body, std::string signature, std::chrono::milliseconds timeout,
                     std::function<void(std::string error)> done);

}  // namespace liveorigin::notify
