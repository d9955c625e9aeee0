#include "liveorigin/net/tls_transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/certificate_store.hpp"
#include "liveorigin/net/plain_transport.hpp"
#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// One TLS record's payload: small iovecs (audio packets, FLV tags) are gathered to this size so
// that a wake-up makes few records and few write calls, not one per packet.
constexpr std::size_t kRecordBytes = 16384;

boost::system::error_code system_error(int code) { return {code, boost::system::system_category()}; }

}  // namespace

TlsTransport::TlsTransport(tcp::socket socket, std::shared_ptr<const CertificateSet> certificates)
    : socket_(std::make_shared<tcp::socket>(std::move(socket))), fd_(socket_->native_handle()),
      peer_(peer_of(*socket_)), certificates_(std::move(certificates)),
      ssl_(SSL_new(certificates_->default_context())) {
  if (!ssl_) throw std::runtime_error("tls: SSL_new failed");
  boost::system::error_code ignored;
  socket_->non_blocking(true, ignored);  // SSL_read/SSL_write on the fd must never block the loop
  SSL_set_fd(ssl_, fd_);                 // a socket BIO without ownership: the Asio socket closes the fd
  SSL_set_accept_state(ssl_);
}

TlsTransport::~TlsTransport() { SSL_free(ssl_); }

asio::io_context& TlsTransport::context() {
  return static_cast<asio::io_context&>(asio::query(socket_->get_executor(), asio::execution::context));
}

std::string TlsTransport::fail(int ssl_error) {
  failed_ = true;
  std::string reason;
  if (ssl_error == SSL_ERROR_SYSCALL) {
    const int error = errno;
    reason = error != 0 ? std::strerror(error) : "the peer closed the connection";
  } else if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    reason = "the peer closed the connection";
  } else {
    const unsigned long code = ERR_peek_error();
    const char* text = code ? ERR_reason_error_string(code) : nullptr;
    reason = text ? text : "TLS error";
  }
  ERR_clear_error();
  return reason;
}

void TlsTransport::wait_for(int ssl_error, std::function<void(const boost::system::error_code&)> retry) {
  socket_->async_wait(ssl_error == SSL_ERROR_WANT_WRITE ? tcp::socket::wait_write : tcp::socket::wait_read,
                      std::move(retry));
}

void TlsTransport::async_handshake(HandshakeHandler handler) {
  handshake_handler_ = std::move(handler);
  step_handshake();
}

void TlsTransport::step_handshake() {
  const auto finish = [this](const boost::system::error_code& ec, const std::string& reason) {
    auto handler = std::move(handshake_handler_);
    handshake_handler_ = nullptr;
    if (handler) handler(ec, reason);
  };
  if (!is_open()) {
    finish(asio::error::operation_aborted, "closed");
    return;
  }
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    established_ = true;
    ktls_send_ = BIO_get_ktls_send(SSL_get_wbio(ssl_)) != 0;
    finish({}, {});
    return;
  }
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    wait_for(error, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) {
        auto handler = std::move(self->handshake_handler_);
        self->handshake_handler_ = nullptr;
        if (handler) handler(ec, ec.message());
        return;
      }
      self->step_handshake();
    });
    return;
  }
  const std::string reason = fail(error);
  finish(asio::error::connection_aborted, reason);
}

void TlsTransport::async_read_some(std::span<std::uint8_t> buffer, ReadHandler handler) {
  // Bytes OpenSSL already holds (a record read with the previous one) would not wake the socket.
  if (SSL_has_pending(ssl_)) {
    asio::post(context(), [self = shared_from_this(), buffer, handler = std::move(handler)]() mutable {
      self->read_now(buffer, std::move(handler));
    });
    return;
  }
  socket_->async_wait(tcp::socket::wait_read, [self = shared_from_this(), buffer, handler = std::move(handler)](
                                                  const boost::system::error_code& ec) mutable {
    if (ec) {
      handler(ec, 0);
      return;
    }
    self->read_now(buffer, std::move(handler));
  });
}

void TlsTransport::read_now(std::span<std::uint8_t> buffer, ReadHandler handler) {
  if (!is_open()) {
    handler(asio::error::operation_aborted, 0);
    return;
  }
  ERR_clear_error();
  std::size_t n = 0;
  const int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &n);
  if (result == 1) {
    handler({}, n);
    return;
  }
  const int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    wait_for(error, [self = shared_from_this(), buffer, handler = std::move(handler)](
                        const boost::system::error_code& ec) mutable {
      if (ec) {
        handler(ec, 0);
        return;
      }
      self->read_now(buffer, std::move(handler));
    });
    return;
  }
  if (error == SSL_ERROR_ZERO_RETURN) {  // close_notify, or (IGNORE_UNEXPECTED_EOF) a bare close
    handler(asio::error::eof, 0);
    return;
  }
  const int saved_errno = errno;
  const std::string reason = fail(error);
  spdlog::debug("tls {}: read failed: {}", peer_.text(), reason);
  handler(error == SSL_ERROR_SYSCALL && saved_errno != 0 ? system_error(saved_errno) : system_error(EPROTO), 0);
}

Transport::WriteResult TlsTransport::write_some(std::span<const iovec> iov) {
  if (!is_open() || failed_) return {0, EBADF};
  if (ktls_send_) return send_gathered(fd_, iov);
  std::array<std::uint8_t, kRecordBytes> gathered;
  std::vector<std::uint8_t> odd;  // only when a caller re-offers a blocked record in other pieces
  std::size_t total = 0;
  std::size_t index = 0, offset = 0;  // the first byte not yet taken
  while (index < iov.size()) {
    const auto* base = static_cast<const std::uint8_t*>(iov[index].iov_base);
    const std::size_t here = iov[index].iov_len - offset;
    if (here == 0) {
      ++index;
      offset = 0;
      continue;
    }
    // The next SSL_write: a big piece straight from its iovec, small ones gathered; after a
    // would-block, exactly the bytes of the record OpenSSL has begun.
    const std::size_t want = blocked_write_ ? blocked_write_ : std::max(here, kRecordBytes);
    const std::uint8_t* data = base + offset;
    std::size_t length = std::min(here, want);
    if (here < want) {
      std::uint8_t* out = gathered.data();
      if (want > gathered.size()) {
        odd.resize(want);
        out = odd.data();
      }
      length = 0;
      for (std::size_t i = index, at = offset; i < iov.size() && length < want; ++i, at = 0) {
        const std::size_t step = std::min(iov[i].iov_len - at, want - length);
        std::memcpy(out + length, static_cast<const std::uint8_t*>(iov[i].iov_base) + at, step);
        length += step;
      }
      if (blocked_write_ && length < blocked_write_) {
        // The caller offers fewer bytes than the record OpenSSL began: it broke the contract.
        spdlog::error("tls {}: write offered {} bytes, the pending record holds {}", peer_.text(), length, blocked_write_);
        failed_ = true;
        return {0, EIO};
      }
      data = out;
    }
    ERR_clear_error();
    std::size_t written = 0;
    const int result = SSL_write_ex(ssl_, data, length, &written);
    if (result != 1) {
      const int error = SSL_get_error(ssl_, result);
      if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) {
        blocked_write_ = length;
        return {total, total ? 0 : EAGAIN};
      }
      const int saved_errno = errno;
      const std::string reason = fail(error);
      spdlog::debug("tls {}: write failed: {}", peer_.text(), reason);
      return {0, error == SSL_ERROR_SYSCALL && saved_errno != 0 ? saved_errno : EPROTO};
    }
    blocked_write_ = 0;
    total += written;
    // Step over what was taken (a partial write takes whole records only).
    for (std::size_t left = written; left > 0 && index < iov.size();) {
      const std::size_t step = std::min(left, iov[index].iov_len - offset);
      offset += step;
      left -= step;
      if (offset == iov[index].iov_len) {
        ++index;
        offset = 0;
      }
    }
  }
  return {total, 0};
}

void TlsTransport::async_wait_writable(WaitHandler handler) {
  socket_->async_wait(tcp::socket::wait_write, std::move(handler));
}

void TlsTransport::close() {
  if (!socket_->is_open()) return;
  // A courtesy close_notify when nothing went wrong and no record is half sent; never waits.
  if (established_ && !failed_ && blocked_write_ == 0) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
  boost::system::error_code ignored;
  socket_->shutdown(tcp::socket::shutdown_both, ignored);
  socket_->close(ignored);
}

void accept_tls(tcp::socket socket, CertificateStore& store, std::chrono::milliseconds timeout, ServerStats& stats,
                std::string name, std::function<void(std::shared_ptr<Transport>)> ready) {
  std::shared_ptr<TlsTransport> transport;
  try {
    transport = std::make_shared<TlsTransport>(std::move(socket), store.current());
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", name, e.what());
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(transport->context());
  auto timed_out = std::make_shared<bool>(false);
  timer->expires_after(timeout);
  timer->async_wait([weak = std::weak_ptr<TlsTransport>(transport), timed_out](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto transport = weak.lock()) {
      *timed_out = true;
      transport->close();  // the handshake's wait completes with operation_aborted
    }
  });
  std::weak_ptr<TlsTransport> weak = transport;
  transport->async_handshake([weak, timer, timed_out, timeout, &stats, &store, name = std::move(name),
                              ready = std::move(ready)](const boost::system::error_code& ec, const std::string& reason) {
    timer->cancel();
    auto transport = weak.lock();
    if (!transport) return;
    const std::string peer = transport->peer().text();
    if (*timed_out) {
      spdlog::info("{}: no TLS handshake from {} within {} s, closing (handshake_timeout)", name, peer,
                   timeout.count() / 1000.0);
      stats.refuse(Refusal::handshake_timeout);
      return;
    }
    if (ec) {
      spdlog::info("{}: TLS handshake with {} failed: {}", name, peer, reason);
      stats.refuse(Refusal::tls_handshake);
      transport->close();
      return;
    }
    store.note_write_path(transport->kernel_tls_send());
    ready(std::move(transport));
  });
}

}  // namespace liveorigin::net
