// Certificates made with OpenSSL for the TLS unit tests (no files checked in, no CLI).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "liveorigin/config/config.hpp"

namespace liveorigin::net {

// A self-signed certificate for `names` ("DNS:a.test,DNS:*.b.test") and its key, as PEM files.
inline config::TlsCertificate make_certificate(const std::filesystem::path& dir, const std::string& stem, const std::string& names,
                                        long serial) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(stem.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x, subject);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  if (!names.empty()) {
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, names.c_str());
    X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
  }
  X509_sign(x, key, EVP_sha256());
  config::TlsCertificate out{(dir / (stem + ".pem")).string(), (dir / (stem + ".key")).string(), 7};
  FILE* f = std::fopen(out.cert.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(out.key.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace liveorigin::net
