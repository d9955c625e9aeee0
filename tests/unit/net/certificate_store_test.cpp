// The certificate store without sockets: certificates made here with OpenSSL, loaded, picked by
// SNI name (wildcards too) in an in-memory handshake, refused when broken, reloaded.
#include "liveorigin/net/certificate_store.hpp"
#include "test_certificates.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace liveorigin::net {
namespace {

namespace fs = std::filesystem;



// The common name of the certificate a client asking for `sni` ("" = none) gets, through a
// whole handshake over memory BIOs.
std::string served_name(const CertificateSet& set, const std::string& sni) {
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  SSL* client = SSL_new(client_ctx);
  SSL* server = SSL_new(set.default_context());
  BIO *client_bio = nullptr, *server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  if (!sni.empty()) SSL_set_tlsext_host_name(client, sni.c_str());
  for (int round = 0; round < 20 && (!SSL_is_init_finished(client) || !SSL_is_init_finished(server)); ++round) {
    SSL_do_handshake(client);
    SSL_do_handshake(server);
  }
  std::string name;
  if (X509* peer = SSL_get1_peer_certificate(client)) {
    char text[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, text, sizeof text);
    name = text;
    X509_free(peer);
  }
  SSL_free(client);
  SSL_free(server);
  SSL_CTX_free(client_ctx);
  return name;
}

class CertificateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("liveorigin-certs-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    config.main = make_certificate(dir, "main", "DNS:a.test,DNS:localhost", 1);
    config.sni.push_back(make_certificate(dir, "wild", "DNS:*.b.test", 2));
    config.sni.push_back(make_certificate(dir, "exact", "DNS:x.b.test,DNS:C.Test", 3));
  }
  void TearDown() override { fs::remove_all(dir); }

  fs::path dir;
  config::TlsConfig config;
};

TEST(CertificateNames, ExactAndWildcard) {
  EXPECT_TRUE(certificate_name_matches("a.test", "a.test"));
  EXPECT_TRUE(certificate_name_matches("a.test", "A.Test"));
  EXPECT_TRUE(certificate_name_matches("a.test", "a.test."));
  EXPECT_FALSE(certificate_name_matches("a.test", "b.a.test"));
  EXPECT_TRUE(certificate_name_matches("*.b.test", "x.b.test"));
  EXPECT_TRUE(certificate_name_matches("*.B.test", "X.b.TEST"));
  EXPECT_FALSE(certificate_name_matches("*.b.test", "b.test"));
  EXPECT_FALSE(certificate_name_matches("*.b.test", "y.x.b.test"));
  EXPECT_FALSE(certificate_name_matches("*.b.test", ".b.test"));
  EXPECT_FALSE(certificate_name_matches("*", "test"));
  EXPECT_FALSE(certificate_name_matches("", "a.test"));
  EXPECT_FALSE(certificate_name_matches("a.test", ""));
}

TEST_F(CertificateStoreTest, LoadsEveryCertificateWithItsNames) {
  const CertificateSet set(config);
  const auto names = set.names();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], (std::vector<std::string>{"a.test", "localhost"}));
  EXPECT_EQ(names[1], (std::vector<std::string>{"*.b.test"}));
  EXPECT_EQ(names[2], (std::vector<std::string>{"x.b.test", "c.test"}));
}

TEST_F(CertificateStoreTest, SniPicksByNameExactBeforeWildcardElseTheDefault) {
  const CertificateSet set(config);
  EXPECT_EQ(served_name(set, "a.test"), "main");
  EXPECT_EQ(served_name(set, "y.b.test"), "wild");
  EXPECT_EQ(served_name(set, "x.b.test"), "exact");  // also covered by the wildcard: the exact name wins
  EXPECT_EQ(served_name(set, "c.test"), "exact");
  EXPECT_EQ(served_name(set, "unknown.test"), "main");
  EXPECT_EQ(served_name(set, ""), "main");
  EXPECT_EQ(set.select("z.b.test"), set.select("y.b.test"));
  EXPECT_EQ(set.select("nothing"), set.default_context());
}

TEST_F(CertificateStoreTest, RefusesAKeyOfAnotherCertificate) {
  config.sni[0].key = config.sni[1].key;
  try {
    CertificateSet set(config);
    FAIL() << "a key that does not match its certificate was accepted";
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("does not match the certificate in " + config.sni[0].cert),
              std::string::npos)
        << e.what();
    EXPECT_EQ(e.line, 7);
  }
}

TEST_F(CertificateStoreTest, RefusesMissingAndNonPemFiles) {
  auto missing = config;
  missing.main.cert = (dir / "nope.pem").string();
  EXPECT_THROW(CertificateSet{missing}, TlsError);
  auto garbage = config;
  std::ofstream(dir / "garbage.pem") << "not a certificate\n";
  garbage.main.key = (dir / "garbage.pem").string();
  try {
    CertificateSet set(garbage);
    FAIL() << "a key file without a key was accepted";
  } catch (const TlsError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(garbage.main.key + ": cannot read the private key", 0), 0u) << e.what();
  }
}

TEST_F(CertificateStoreTest, ReloadSwapsTheSetOrKeepsTheRunningOne) {
  CertificateStore store(config);
  const auto first = store.current();
  // A renewal: new files at the same paths.
  config.main = make_certificate(dir, "main", "DNS:a.test", 10);
  EXPECT_EQ(store.reload(config), "");
  const auto second = store.current();
  EXPECT_NE(first, second);
  EXPECT_EQ(second->names()[0], (std::vector<std::string>{"a.test"}));
  // A broken file: the running set stays, the reason comes back.
  std::ofstream(config.main.cert, std::ios::trunc) << "-----BEGIN CERTIFICATE-----\ngarbage\n";
  const std::string error = store.reload(config);
  EXPECT_NE(error.find(config.main.cert), std::string::npos) << error;
  EXPECT_EQ(store.current(), second);
  // Connections that began with the first set still hold it.
  EXPECT_EQ(served_name(*first, "a.test"), "main");
}

}  // namespace
}  // namespace liveorigin::net
