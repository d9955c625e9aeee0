#include "liveorigin/access/signing.hpp"

#include <charconv>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace liveorigin::access {

std::string md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("md5 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (unsigned int i = 0; i < size; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

std::string tx_secret(std::string_view key, std::string_view stream, std::string_view tx_time) {
  std::string input;
  input.reserve(key.size() + stream.size() + tx_time.size());
  input.append(key).append(stream).append(tx_time);
  return md5_hex(input);
}

std::string signed_query(std::string_view key, std::string_view stream, std::int64_t expires_at) {
  char tx_time[24];
  std::snprintf(tx_time, sizeof tx_time, "%llX", static_cast<unsigned long long>(expires_at));
  return "txSecret=" + tx_secret(key, stream, tx_time) + "&txTime=" + tx_time;
}

std::string_view to_string(AuthResult result) {
  switch (result) {
    case AuthResult::ok: return "ok";
    case AuthResult::missing: return "txSecret or txTime missing";
    case AuthResult::bad_time: return "txTime is not a hexadecimal time";
    case AuthResult::expired: return "txTime has expired";
    case AuthResult::mismatch: return "txSecret does not match";
  }
  return "?";
}

namespace {

std::optional<std::int64_t> parse_hex_time(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

bool secret_matches(std::string_view key, std::string_view stream, std::string_view tx_time,
                    std::string_view secret) {
  if (key.empty()) return false;
  const auto expected = tx_secret(key, stream, tx_time);
  return secret.size() == expected.size() &&
         CRYPTO_memcmp(secret.data(), expected.data(), expected.size()) == 0;
}

}  // namespace

AuthResult check_auth(const config::AuthKeys& keys, std::string_view stream, const Query& query,
                      std::int64_t now) {
  if (!keys.enabled()) return AuthResult::ok;
  const auto secret = query.find("txSecret");
  const auto time = query.find("txTime");
  if (secret == query.end() || time == query.end()) return AuthResult::missing;
  const auto expiry = parse_hex_time(time->second);
  if (!expiry) return AuthResult::bad_time;
  if (*expiry < now) return AuthResult::expired;
  // Both keys are always computed, so the time taken says nothing about which one matched.
  const bool main = secret_matches(keys.key, stream, time->second, secret->second);
  const bool backup = secret_matches(keys.backup_key, stream, time->second, secret->second);
  return main || backup ? AuthResult::ok : AuthResult::mismatch;
}

}  // namespace liveorigin::access
