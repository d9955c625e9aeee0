// TLS for the load generator's clients: a client context (no verification: a benchmark, not a
// browser), a non-blocking SSL object on a connected socket, and the mapping of OpenSSL's
// WANT_READ / WANT_WRITE to epoll interest. Also the handshake-rate mode (--handshakes): clients
// that connect, finish a full TLS handshake, drop the connection and start again.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "clients.hpp"

namespace liveorigin::bench {

struct SslContextFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using ClientContext = std::unique_ptr<SSL_CTX, SslContextFree>;

// TLS 1.2+, no certificate verification, no session resumption (every handshake is a full one),
// read-ahead (fewer read syscalls), and writes that may be retried from a moved, longer buffer.
ClientContext make_client_context();  // throws std::runtime_error

// Non-blocking client SSL on a connected socket, with SNI. Throws std::runtime_error.
Ssl new_client_ssl(SSL_CTX* ctx, int fd, const std::string& sni);

enum class TlsWait { none, read, write, closed, error };
// What a failed (ret <= 0) SSL call waits for; `closed` is the peer's close_notify or EOF.
TlsWait tls_wait(SSL* ssl, int ret);
// The OpenSSL error queue as one line (and cleared).
std::string tls_error_text();

// --handshakes: one connection's loop of connect → full TLS handshake → the server's first bytes
// after it (TLS 1.3: its session tickets, sent once it has read the client's Finished, so the
// server has finished too) or 1 s → abortive close (RST, so no TIME_WAIT) → connect again. Counts
// the handshakes finished inside the window.
class Handshaker : public Handler {
 public:
  Handshaker(const Endpoint& ep, SSL_CTX* ctx, std::string sni) : ep_(ep), ctx_(ctx), sni_(std::move(sni)) {}
  ~Handshaker() override { drop(); }
  void start(int epfd, std::int64_t now);
  void on_event(std::uint32_t events, std::int64_t now) override;
  void poll_timer(std::int64_t now);  // gives up waiting for the server's bytes after 1 s
  void set_recording(bool on) { recording_ = on; }
  std::uint64_t completed() const { return completed_; }
  std::uint64_t failed() const { return failed_; }
  const std::string& last_error() const { return last_error_; }
  std::vector<double>& handshake_ms() { return handshake_ms_; }

 private:
  void drive(std::int64_t now);
  void interest(bool want_write);
  void drop();
  void again(std::int64_t now, bool ok, std::string why = {});

  Endpoint ep_;
  SSL_CTX* ctx_;
  std::string sni_;
  int epfd_ = -1;
  Ssl ssl_;
  bool connecting_ = false;
  std::int64_t started_ns_ = 0;
  std::int64_t done_ns_ = 0;  // the client's side of the handshake finished; waiting for the server
  bool recording_ = false;
  std::uint64_t completed_ = 0;
  std::uint64_t failed_ = 0;
  std::string last_error_;
  std::vector<double> handshake_ms_;  // connect → handshake done, inside the window
};

}  // namespace liveorigin::bench
