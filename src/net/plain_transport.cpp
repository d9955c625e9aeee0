#include "liveorigin/net/plain_transport.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include <boost/asio/io_context.hpp>

namespace liveorigin::net {

namespace asio = boost::asio;
using asio::ip::tcp;

bool Transport::WriteResult::would_block() const { return error == EAGAIN || error == EWOULDBLOCK; }

PeerAddress peer_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  return {endpoint.address().to_string(), endpoint.port()};
}

Transport::WriteResult send_gathered(int fd, std::span<const iovec> iov) {
  msghdr message{};
  // msghdr wants a mutable pointer; sendmsg only reads through it.
  message.msg_iov = const_cast<iovec*>(iov.data());
  message.msg_iovlen = std::min<std::size_t>(iov.size(), IOV_MAX);
  for (;;) {
    const ssize_t n = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return {static_cast<std::size_t>(n), 0};
    if (errno != EINTR) return {0, errno};
  }
}

PlainTransport::PlainTransport(std::shared_ptr<tcp::socket> socket)
    : socket_(std::move(socket)), fd_(socket_->native_handle()), peer_(peer_of(*socket_)) {}

PlainTransport::PlainTransport(tcp::socket socket)
    : PlainTransport(std::make_shared<tcp::socket>(std::move(socket))) {}

asio::io_context& PlainTransport::context() {
  // Every socket here is made on an io_context (a shard's, or the API's).
  return static_cast<asio::io_context&>(asio::query(socket_->get_executor(), asio::execution::context));
}

void PlainTransport::async_read_some(std::span<std::uint8_t> buffer, ReadHandler handler) {
  socket_->async_read_some(asio::buffer(buffer.data(), buffer.size()), std::move(handler));
}

Transport::WriteResult PlainTransport::write_some(std::span<const iovec> iov) {
  if (!socket_->is_open()) return {0, EBADF};
  return send_gathered(fd_, iov);
}

void PlainTransport::async_wait_writable(WaitHandler handler) {
  socket_->async_wait(tcp::socket::wait_write, std::move(handler));
}

void PlainTransport::close() {
  boost::system::error_code ignored;
  socket_->shutdown(tcp::socket::shutdown_both, ignored);
  socket_->close(ignored);
}

}  // namespace liveorigin::net
