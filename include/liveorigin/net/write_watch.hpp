// limits.idle_timeout for a connection's plain writes (HTTP replies, VOD files): a write that makes
// no progress for the timeout — a peer that never reads — closes the socket, with a log line
// naming the peer and an idle_timeout refusal, so it cannot hold the connection and its buffers
// forever. net::Sender, which writes without async_write, uses begin/end/note_progress directly.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace liveorigin::net {

struct ServerStats;
class Transport;

class WriteWatch : public std::enable_shared_from_this<WriteWatch> {
 public:
  using Handler = std::function<void(const boost::system::error_code&, std::size_t)>;

  // `log_context` names the peer ("http 1.2.3.4:5678"). A timeout of zero or less: no limit.
  WriteWatch(std::shared_ptr<Transport> transport, ServerStats& stats, std::chrono::milliseconds timeout,
             std::string log_context);
  // The same over a plain TCP socket.
  WriteWatch(std::shared_ptr<boost::asio::ip::tcp::socket> socket, ServerStats& stats,
             std::chrono::milliseconds timeout, std::string log_context);

  // Writes all of `buffers` (their memory kept alive by the caller until `handler(ec, bytes)`
  // runs), one write at a time per connection: gathered non-blocking writes through the
  // transport, waiting for writability in between. The handler runs from the event loop, never
  // inside this call. A cut completes it with an error.
  template <class ConstBuffers>
  void async_write(const ConstBuffers& buffers, Handler handler) {
    pending_.clear();
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
         ++it) {
      const boost::asio::const_buffer buffer(*it);
      // iovec wants a mutable pointer; writes only read through it.
      if (buffer.size() > 0) pending_.push_back({const_cast<void*>(buffer.data()), buffer.size()});
    }
    start_write(std::move(handler));
  }

  // For writers of their own: a write (or a wait for writability) starts, and its timeout with
  // it; bytes moved; it is over.
  void begin();
  void note_progress() { last_progress_ = std::chrono::steady_clock::now(); }
  void end() { writing_ = false; }

  void set_log_context(std::string context) { log_context_ = std::move(context); }
  // A cut closes the connection without a log line or an idle_timeout refusal (the API's writes).
  void set_quiet() { quiet_ = true; }
  bool cut() const { return cut_; }  // closed for idle_timeout

 private:
  void start_write(Handler handler);
  void write_on();
  void complete(const boost::system::error_code& ec);
  void watch();

  std::shared_ptr<Transport> transport_;
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
  bool quiet_ = false;
  // The async_write under way: what is left of it, what is done, and whom to tell.
  std::vector<iovec> pending_;
  std::size_t next_ = 0;
  std::size_t written_ = 0;
  Handler handler_;
};

}  // namespace liveorigin::net
