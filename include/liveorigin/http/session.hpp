// The one HTTP/1.1 server session of every HTTP port: it reads a request (header limit, deadline,
// keep-alive), hands it to the Routes of its listener (media URLs, or the API), and writes the
// answers, all heads built by http::reply_head. Long answers take the connection over through
// the Connection: the live FLV stream (a net::Sender), a recording (the WriteWatch, chunk by chunk).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include "liveorigin/config/config_store.hpp"
#include "liveorigin/http/reply.hpp"
#include "liveorigin/net/connection_count.hpp"

namespace liveorigin::net {
class Shard;
class Transport;
class WriteWatch;
}  // namespace liveorigin::net

namespace liveorigin::http {

using RequestMessage = boost::beast::http::request<boost::beast::http::string_body>;

// The header of `message` named `name`, "" when absent.
std::string_view header(const RequestMessage& message, boost::beast::http::field name);

// What a route may do with the connection of the request it answers.
class Connection {
 public:
  virtual ~Connection() = default;
  // Writes a whole answer, then reads the next request (keep_alive) or closes. HEAD: no body.
  virtual void reply(Reply reply, bool keep_alive, bool head_only) = 0;
  // For a route that wrote its answer itself: read the next request (true) or close.
  virtual void done(bool keep_alive) = 0;
  // Keeps the connection (and its place in the count) alive for a route that took it over.
  virtual std::shared_ptr<Connection> hold() = 0;

  virtual const std::shared_ptr<net::Transport>& transport() const = 0;
  // Writes under limits.idle_timeout (the route's own long answers).
  virtual const std::shared_ptr<net::WriteWatch>& writer() const = 0;
  virtual net::Shard* shard() const = 0;  // the media shard the connection lives on; null on the API
  virtual const config::Config& config() const = 0;  // the snapshot of this request's time
  virtual std::string& log_context() = 0;             // "http IP:PORT", a route may add to it
};

// How a port's requests are read and answered.
struct SessionRules {
  std::string name;  // "http", "api": the log prefix
  std::uint64_t body_limit = 0;
  bool cors = true;  // Access-Control-Allow-Origin on every answer
  // The request must arrive whole within this (a keep-alive connection's wait included);
  // `timeout_is_refusal`: logged and counted as a handshake_timeout refusal, else closed quietly.
  std::chrono::milliseconds (*request_timeout)(const config::Config&) = nullptr;
  bool timeout_is_refusal = true;
  // Answers are written under this (no progress for so long: the connection is cut);
  // `cut_is_refusal`: logged and counted as idle_timeout, else closed quietly.
  std::chrono::milliseconds (*write_timeout)(const config::Config&) = nullptr;
  bool cut_is_refusal = true;
  bool count_bytes_out = true;  // written bytes count in the server's bytes_out
};

class Routes {
 public:
  virtual ~Routes() = default;
  virtual const SessionRules& rules() const = 0;
  // Answers one request, through connection.reply() once, or by taking the connection over.
  virtual void handle(Connection& connection, const RequestMessage& request) = 0;
  // The answer to a request that could not be read (400), the connection then closes.
  virtual Reply bad_request(const boost::system::error_code& ec) const = 0;
};

// Takes over an accepted connection and its place in the connection count; the session lives
// until the connection ends. `routes` outlives every session of its listener.
void start_session(std::shared_ptr<net::Transport> transport, net::ConnectionCount place, config::ConfigStore& config,
                   net::ServerStats& stats, Routes& routes, net::Shard* shard = nullptr);

}  // namespace liveorigin::http
