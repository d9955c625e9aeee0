#include "tls_client.hpp"

#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace liveorigin::bench {

ClientContext make_client_context() {
  ClientContext ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw std::runtime_error("SSL_CTX_new: " + tls_error_text());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  return ctx;
}

Ssl new_client_ssl(SSL_CTX* ctx, int fd, const std::string& sni) {
  Ssl ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) throw std::runtime_error("SSL_new: " + tls_error_text());
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
  SSL_set_connect_state(ssl.get());
  return ssl;
}

TlsWait tls_wait(SSL* ssl, int ret) {
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ: return TlsWait::read;
    case SSL_ERROR_WANT_WRITE: return TlsWait::write;
    case SSL_ERROR_ZERO_RETURN: return TlsWait::closed;
    case SSL_ERROR_SYSCALL:
      // EOF without close_notify (OpenSSL 3 reports it as SSL_ERROR_SSL with this reason).
      return errno == 0 ? TlsWait::closed : TlsWait::error;
    case SSL_ERROR_SSL:
      if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return TlsWait::closed;
      }
      return TlsWait::error;
    default: return TlsWait::error;
  }
}

std::string tls_error_text() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  if (text.empty()) text = errno ? std::strerror(errno) : "unknown error";
  return text;
}

// ---------------------------------------------------------------------------------------------
// Handshaker

void Handshaker::start(int epfd, std::int64_t now) {
  epfd_ = epfd;
  started_ns_ = now;
  fd_ = connect_nonblocking(ep_, 0);
  if (fd_ < 0) {
    ++failed_;
    last_error_ = std::string("connect: ") + std::strerror(errno);
    return;  // the caller's loop restarts idle handshakers
  }
  connecting_ = true;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = static_cast<Handler*>(this);
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd_, &ev);
}

void Handshaker::interest(bool want_write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
  ev.data.ptr = static_cast<Handler*>(this);
  epoll_ctl(epfd_, EPOLL_CTL_MOD, fd_, &ev);
}

void Handshaker::on_event(std::uint32_t events, std::int64_t now) {
  if (fd_ < 0) return;
  if (connecting_) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return again(now, false, std::string("connect: ") + std::strerror(err));
    if (!(events & (EPOLLOUT | EPOLLIN))) return;
    connecting_ = false;
    try {
      ssl_ = new_client_ssl(ctx_, fd_, sni_);
    } catch (const std::exception& e) {
      return again(now, false, e.what());
    }
  }
  drive(now);
}

void Handshaker::poll_timer(std::int64_t now) {
  if (done_ns_ && now - done_ns_ > 1'000'000'000) again(now, true);
}

void Handshaker::drive(std::int64_t now) {
  errno = 0;
  if (done_ns_) {
    // Anything from the server (tickets, EOF) after our Finished: its side is done too.
    std::uint8_t byte;
    std::size_t n = 0;
    const int r = SSL_read_ex(ssl_.get(), &byte, 1, &n);
    const TlsWait wait = r == 1 ? TlsWait::none : tls_wait(ssl_.get(), r);
    ERR_clear_error();
    if (wait != TlsWait::write) again(now, true);
    return;
  }
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    done_ns_ = now;
    return interest(false);
  }
  switch (tls_wait(ssl_.get(), r)) {
    case TlsWait::read: return interest(false);
    case TlsWait::write: return interest(true);
    case TlsWait::closed: return again(now, false, "closed during the TLS handshake");
    default: return again(now, false, "TLS handshake: " + tls_error_text());
  }
}

void Handshaker::drop() {
  ssl_.reset();
  if (fd_ < 0) return;
  linger l{1, 0};  // RST: thousands of connections a second would exhaust ports in TIME_WAIT
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);
  fd_ = -1;
}

void Handshaker::again(std::int64_t now, bool ok, std::string why) {
  if (recording_) {
    if (ok) {
      ++completed_;
      handshake_ms_.push_back((done_ns_ - started_ns_) / 1e6);
    } else {
      ++failed_;
    }
  }
  if (!ok) last_error_ = std::move(why);
  done_ns_ = 0;
  drop();
  start(epfd_, now);
}

}  // namespace liveorigin::bench
