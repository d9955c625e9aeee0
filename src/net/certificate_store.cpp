#include "liveorigin/net/certificate_store.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <spdlog/spdlog.h>

namespace liveorigin::net {

namespace {

// TLS 1.2: forward-secret AEAD suites only (Mozilla's "intermediate" list); TLS 1.3 suites are
// all AEAD and keep OpenSSL's default order.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr unsigned char kSessionContext[] = "liveorigin";

// The oldest error OpenSSL queued (the root cause), then the queue cleared.
std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "OpenSSL error " + std::to_string(code);
}

EVP_PKEY* read_private_key(const std::string& path) {
  BIO* file = BIO_new_file(path.c_str(), "r");
  if (!file) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(file, nullptr, nullptr, nullptr);
  BIO_free(file);
  return key;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::vector<std::string> san_dns_names(X509* certificate) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_DNS) continue;
    const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName));
    out.push_back(lower(std::string_view(data, static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)))));
  }
  GENERAL_NAMES_free(names);
  return out;
}

// The client's SNI name picks the context before the certificate is sent.
int on_server_name(SSL* ssl, int* /*alert*/, void* arg) {
  const auto* set = static_cast<const CertificateSet*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;  // no name: the default certificate
  SSL_CTX* chosen = set->select(name);
  if (chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

bool certificate_name_matches(std::string_view pattern, std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (pattern.empty() || host.empty()) return false;
  const std::string p = lower(pattern), h = lower(host);
  if (p.starts_with("*.")) {
    const std::size_t dot = h.find('.');
    // "*.example.com" covers "a.example.com": one whole label, not "example.com" nor "a.b.example.com".
    return dot != std::string::npos && dot > 0 && std::string_view(h).substr(dot) == std::string_view(p).substr(1);
  }
  return p == h;
}

CertificateSet::CertificateSet(const config::TlsConfig& config) : ktls_(config.ktls) {
  try {
    entries_.push_back(load(config.main));
    for (const auto& extra : config.sni) entries_.push_back(load(extra));
  } catch (...) {
    for (auto& entry : entries_) SSL_CTX_free(entry.context);
    throw;
  }
}

CertificateSet::~CertificateSet() {
  for (auto& entry : entries_) SSL_CTX_free(entry.context);
}

CertificateSet::Entry CertificateSet::load(const config::TlsCertificate& certificate) {
  ERR_clear_error();
  Entry entry;
  entry.context = SSL_CTX_new(TLS_server_method());
  if (!entry.context) throw TlsError("TLS: cannot create a context: " + openssl_error(), certificate.line);
  SSL_CTX* ctx = entry.context;
  const auto fail = [&](const std::string& what) {
    SSL_CTX_free(ctx);
    throw TlsError(what, certificate.line);
  };
  for (const std::string* path : {&certificate.cert, &certificate.key})
    if (::access(path->c_str(), R_OK) != 0) fail(*path + ": cannot read: " + std::strerror(errno));
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate.cert.c_str()) != 1)
    fail(certificate.cert + ": cannot use the certificate chain: " + openssl_error());
  EVP_PKEY* key = read_private_key(certificate.key);
  if (!key) fail(certificate.key + ": cannot read the private key: " + openssl_error());
  // Checked apart from loading, so that the message says what is wrong.
  const bool matches = X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) == 1;
  const bool used = matches && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    ERR_clear_error();
    fail(certificate.key + ": the key does not match the certificate in " + certificate.cert);
  }
  if (!used) fail(certificate.key + ": cannot use the private key: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) fail("TLS: cipher list refused: " + openssl_error());
  std::uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF;
  if (ktls_) options |= SSL_OP_ENABLE_KTLS;
  SSL_CTX_set_options(ctx, options);
  // Partial writes: a player's gathered write may be taken in part, like sendmsg. Released
  // buffers: an idle connection does not keep its 16 KiB record buffers.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // Resumption through session tickets (stateless, the ticket key lives in the context): no
  // server-side cache to grow with clients.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_tlsext_servername_callback(ctx, on_server_name);
  SSL_CTX_set_tlsext_servername_arg(ctx, this);
  entry.names = san_dns_names(SSL_CTX_get0_certificate(ctx));
  if (entry.names.empty() && !entries_.empty())
    spdlog::warn("tls: {} names no DNS name in its subjectAltName: SNI never picks it", certificate.cert);
  return entry;
}

SSL_CTX* CertificateSet::select(std::string_view host) const {
  for (const auto& entry : entries_)
    for (const auto& name : entry.names)
      if (!name.starts_with("*.") && certificate_name_matches(name, host)) return entry.context;
  for (const auto& entry : entries_)
    for (const auto& name : entry.names)
      if (name.starts_with("*.") && certificate_name_matches(name, host)) return entry.context;
  return default_context();
}

std::vector<std::vector<std::string>> CertificateSet::names() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& entry : entries_) out.push_back(entry.names);
  return out;
}

CertificateStore::CertificateStore(const config::TlsConfig& config)
    : current_(std::make_shared<const CertificateSet>(config)) {}

std::shared_ptr<const CertificateSet> CertificateStore::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::string CertificateStore::reload(const config::TlsConfig& config) {
  try {
    auto next = std::make_shared<const CertificateSet>(config);
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
    return {};
  } catch (const TlsError& e) {
    return e.what();
  }
}

void CertificateStore::note_write_path(bool kernel_tls) {
  if (write_path_logged_.exchange(true)) return;
  if (kernel_tls) {
    spdlog::info("tls: writes go through kernel TLS (sendmsg on the socket)");
  } else {
    spdlog::info("tls: writes go through SSL_write{}",
                 current()->ktls_allowed() ? " (kernel TLS is not available here: no 'tls' kernel module?)"
                                           : " (server.tls.ktls is off)");
  }
}

}  // namespace liveorigin::net
