// The plain transport: a TCP socket. Gathered writes go straight to its fd (sendmsg).
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "liveorigin/net/transport.hpp"

namespace liveorigin::net {

class PlainTransport final : public Transport {
 public:
  // Shares the socket, so code that still holds it (tests, tools) sees the same one.
  explicit PlainTransport(std::shared_ptr<boost::asio::ip::tcp::socket> socket);
  explicit PlainTransport(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& context() override;
  int native_handle() const override { return fd_; }
  int gathered_write_fd() const override { return fd_; }
  bool secure() const override { return false; }
  const PeerAddress& peer() const override { return peer_; }

  void async_read_some(std::span<std::uint8_t> buffer, ReadHandler handler) override;
  WriteResult write_some(std::span<const iovec> iov) override;
  void async_wait_writable(WaitHandler handler) override;
  void close() override;
  bool is_open() const override { return socket_->is_open(); }

  boost::asio::ip::tcp::socket& socket() { return *socket_; }

 private:
  std::shared_ptr<boost::asio::ip::tcp::socket> socket_;
  int fd_;
  PeerAddress peer_;
};

// The address of a connected socket's peer, unknown when it has already gone.
PeerAddress peer_of(const boost::asio::ip::tcp::socket& socket);

// One non-blocking gathered sendmsg of `iov` on `fd` (at most IOV_MAX entries), as every
// transport that writes to the kernel does it.
Transport::WriteResult send_gathered(int fd, std::span<const iovec> iov);

}  // namespace liveorigin::net
