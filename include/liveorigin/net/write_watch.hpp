// limits.idle_timeout for a connection's plain writes (HTTP replies, VOD files): a write that makes
// no progress for the timeout — a peer that never reads — closes the socket, with a log line
// naming the peer and an idle_timeout refusal, so it cannot hold the connection and its buffers
// forever. net::Sender, which writes without async_write, uses begin/end/note_progress directly.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace liveorigin::net {

struct ServerStats;

class WriteWatch : public std::enable_shared_from_this<WriteWatch> {
 public:
  // `log_context` names the peer ("http 1.2.3.4:5678"). A timeout of zero or less: no limit.
  WriteWatch(std::shared_ptr<boost::asio::ip::tcp::socket> socket, ServerStats& stats,
             std::chrono::milliseconds timeout, std::string log_context);

  // boost::asio::async_write of all of `buffers` (their memory kept alive by the caller until
  // `handler(ec, bytes)` runs), one at a time per connection. A cut completes it with an error.
  template <class ConstBuffers, class Handler>
  void async_write(const ConstBuffers& buffers, Handler handler) {
    begin();
    boost::asio::async_write(
        *socket_, buffers,
        [this, sent = std::size_t(0)](const boost::system::error_code& ec,
                                      std::size_t n) mutable -> std::size_t {
          // Called around each partial write: bytes written advancing is the progress.
          if (n != sent) note_progress();
          sent = n;
          return boost::asio::transfer_all()(ec, n);
        },
        [self = shared_from_this(), handler = std::move(handler)](const boost::system::error_code& ec,
                                                                  std::size_t n) mutable {
          self->end();
          handler(ec, n);
        });
  }

  // For writers of their own: a write (or a wait for writability) starts, and its timeout with
  // it; bytes moved; it is over.
  void begin();
  void note_progress() { last_progress_ = std::chrono::steady_clock::now(); }
  void end() { writing_ = false; }

  void set_log_context(std::string context) { log_context_ = std::move(context); }
  const std::shared_ptr<boost::asio::ip::tcp::socket>& socket() const { return socket_; }
  bool cut() const { return cut_; }  // closed for idle_timeout

 private:
  void watch();

  std::shared_ptr<boost::asio::ip::tcp::socket> socket_;
  ServerStats& stats_;
  std::chrono::milliseconds timeout_;
  std::string log_context_;
  // Armed at most once per timeout while a write is in flight, never per write: a file sent in
  // many chunks costs no timer operation per chunk.
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_progress_;
  bool writing_ = false;
  bool armed_ = false;
  bool cut_ = false;
};

}  // namespace liveorigin::net
