// The TLS transport: an OpenSSL `SSL*` doing its own I/O on the accepted socket's fd (non-blocking),
// driven by Asio readiness waits. With kernel TLS for sending (the kernel then makes the records)
// gathered writes go to the fd as they are, like a plain socket; without it write_some coalesces
// the iovecs into records through SSL_write. Reads go through SSL_read.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <openssl/types.h>

#include "liveorigin/net/transport.hpp"

namespace liveorigin::net {

class CertificateSet;
class CertificateStore;
struct ServerStats;

class TlsTransport final : public Transport, public std::enable_shared_from_this<TlsTransport> {
 public:
  // Completes the handshake: no error, or an error with OpenSSL's reason ("unsupported protocol").
  using HandshakeHandler = std::function<void(const boost::system::error_code& ec, const std::string& reason)>;

  TlsTransport(boost::asio::ip::tcp::socket socket, std::shared_ptr<const CertificateSet> certificates);
  ~TlsTransport() override;

  // The server side of the handshake; the handler runs once, from the socket's loop.
  void async_handshake(HandshakeHandler handler);
  // Whether the kernel makes the records of what is sent (decided at the end of the handshake).
  bool kernel_tls_send() const { return ktls_send_; }

  boost::asio::io_context& context() override;
  int native_handle() const override { return fd_; }
  int gathered_write_fd() const override { return ktls_send_ ? fd_ : -1; }
  bool secure() const override { return true; }
  const PeerAddress& peer() const override { return peer_; }

  void async_read_some(std::span<std::uint8_t> buffer, ReadHandler handler) override;
  // Without kernel TLS: after a would-block (or a partial write) the caller offers the bytes it
  // has not had taken again, as Sender and WriteWatch do: SSL_write finishes the record it began.
  WriteResult write_some(std::span<const iovec> iov) override;
  void async_wait_writable(WaitHandler handler) override;
  void close() override;
  bool is_open() const override { return socket_->is_open(); }

 private:
  void step_handshake();
  void read_now(std::span<std::uint8_t> buffer, ReadHandler handler);
  // After an SSL call asked for the socket: waits for what it wants, then `retry`.
  void wait_for(int ssl_error, std::function<void(const boost::system::error_code&)> retry);
  // A fatal SSL error: the reason text, and no close_notify on close.
  std::string fail(int ssl_error);

  std::shared_ptr<boost::asio::ip::tcp::socket> socket_;
  int fd_;
  PeerAddress peer_;
  std::shared_ptr<const CertificateSet> certificates_;  // the SNI callback reads it
  SSL* ssl_;
  HandshakeHandler handshake_handler_;
  bool established_ = false;
  bool failed_ = false;
  bool ktls_send_ = false;
  std::size_t blocked_write_ = 0;  // bytes of the record SSL_write must be offered again
};

// Runs the TLS handshake on an accepted socket under `timeout`, then hands the transport to
// `ready`. A handshake that fails or times out is logged ("NAME: TLS handshake with IP:PORT
// failed: REASON") and counted in `stats` (tls_handshake / handshake_timeout); `ready` is not
// called then.
void accept_tls(boost::asio::ip::tcp::socket socket, CertificateStore& store, std::chrono::milliseconds timeout,
                ServerStats& stats, std::string name, std::function<void(std::shared_ptr<Transport>)> ready);

}  // namespace liveorigin::net
