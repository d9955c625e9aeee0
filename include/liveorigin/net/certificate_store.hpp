// The certificates of the TLS ports (server.tls): one OpenSSL context per certificate, the
// default one first, and the SNI choice between them. Built from the config, shared by every TLS
// listener, swapped as a whole on reload so a handshake sees one consistent set. No sockets here.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "liveorigin/config/config.hpp"

namespace liveorigin::net {

// A certificate that cannot be used: "FILE: what is wrong"; `line` is its entry in the config.
struct TlsError : std::runtime_error {
  TlsError(const std::string& what, int line) : std::runtime_error(what), line(line) {}
  int line;
};

// Whether a certificate name from a SAN ("example.com", "*.example.com") covers `host`. Case does
// not matter, a trailing dot on the host neither; a wildcard stands for exactly one label.
bool certificate_name_matches(std::string_view pattern, std::string_view host);

// One loaded generation of server.tls. Immutable once built; TLS connections hold it (the SNI
// callback reads it) for as long as they live.
class CertificateSet {
 public:
  // Reads every file now; throws TlsError when a file is unreadable, not PEM, or the key does not
  // match its certificate.
  explicit CertificateSet(const config::TlsConfig& config);
  ~CertificateSet();
  CertificateSet(const CertificateSet&) = delete;
  CertificateSet& operator=(const CertificateSet&) = delete;

  // The context a handshake starts with (the default certificate, TLS options, SNI callback).
  SSL_CTX* default_context() const { return entries_.front().context; }
  // The context whose certificate names `host` (an exact name before a wildcard), else the default.
  SSL_CTX* select(std::string_view host) const;
  // The DNS names of each certificate's SAN, in config order (the default first).
  std::vector<std::vector<std::string>> names() const;
  bool ktls_allowed() const { return ktls_; }

 private:
  struct Entry {
    SSL_CTX* context = nullptr;
    std::vector<std::string> names;  // lower case
  };
  Entry load(const config::TlsCertificate& certificate);

  std::vector<Entry> entries_;
  bool ktls_ = false;
};

// The set in force. current() for each new connection; reload() builds a new set from the files
// (certbot renewed them) and keeps the running one when that fails.
class CertificateStore {
 public:
  explicit CertificateStore(const config::TlsConfig& config);  // throws TlsError
  std::shared_ptr<const CertificateSet> current() const;
  // "" when the new set is in force; else why it was refused (the running set stays).
  std::string reload(const config::TlsConfig& config);
  // Logs once per process which write path TLS connections use (kernel TLS or SSL_write).
  void note_write_path(bool kernel_tls);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const CertificateSet> current_;
  std::atomic<bool> write_path_logged_{false};
};

}  // namespace liveorigin::net
