// The byte stream under a connection: what the RTMP and HTTP sessions, net::Sender and
// net::WriteWatch read and write through, so they never touch a TCP socket themselves. The plain
// implementation is a TCP socket (net/plain_transport.hpp); a TLS one plugs in beside it without
// any change to its users (docs/architecture.md, "The transport").
//
// The write side is one non-blocking gathered write: the hot path of a player. A transport whose
// bytes go to the kernel as they are (plain TCP, or kernel TLS once the handshake is done) names
// its fd in gathered_write_fd(), and net::Sender then calls sendmsg on it itself, with no virtual
// call per write; only a transport that must transform the bytes in user space answers -1 and is
// written through write_some().
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include <boost/system/error_code.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace liveorigin::net {

// The peer as it was at accept, kept: a socket reset later still logs a useful name.
struct PeerAddress {
  std::string ip;  // "" when unknown
  std::uint16_t port = 0;

  bool known() const { return !ip.empty(); }
  std::string ip_or_unknown() const { return known() ? ip : "?"; }
  std::string text() const { return known() ? ip + ":" + std::to_string(port) : "?"; }  // "IP:PORT"
};

class Transport {
 public:
  using ReadHandler = std::function<void(const boost::system::error_code&, std::size_t)>;
  using WaitHandler = std::function<void(const boost::system::error_code&)>;

  // What one non-blocking write did: `bytes` taken (maybe fewer than offered), or none with
  // `error` set: EAGAIN when the transport cannot take bytes now (wait_writable, then again),
  // any other errno when the connection is broken.
  struct WriteResult {
    std::size_t bytes = 0;
    int error = 0;
    bool would_block() const;
  };

  virtual ~Transport() = default;

  // The event loop the connection lives on (its shard, or the API thread): timers of the
  // connection go there.
  virtual boost::asio::io_context& context() = 0;
  // The socket's descriptor, for socket options (TCP_NODELAY) and nothing else.
  virtual int native_handle() const = 0;
  // The fd that gathered writes may go to with sendmsg as they are, or -1 when they must go
  // through write_some().
  virtual int gathered_write_fd() const = 0;
  // Whether the bytes are encrypted on the wire (URLs built for the peer use https/rtmps then).
  virtual bool secure() const = 0;
  virtual const PeerAddress& peer() const = 0;

  // Reads what has arrived, at least one byte; eof when the peer has closed.
  virtual void async_read_some(std::span<std::uint8_t> buffer, ReadHandler handler) = 0;
  // Writes as much of `iov` as fits now, without blocking.
  virtual WriteResult write_some(std::span<const iovec> iov) = 0;
  // Completes when write_some may take bytes again (or with an error once closed).
  virtual void async_wait_writable(WaitHandler handler) = 0;

  // Shuts the connection down and frees the socket; pending reads and waits complete with
  // operation_aborted. Safe to call more than once.
  virtual void close() = 0;
  virtual bool is_open() const = 0;
};

}  // namespace liveorigin::net
