#include "liveorigin/access/cluster_pull.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <stdexcept>

namespace liveorigin::access {

std::string pull_signature(std::string_view secret, std::string_view app, std::string_view stream,
                           std::int64_t expires, std::string_view node) {
  std::string message;
  message.append(app).append("\n").append(stream).append("\n").append(std::to_string(expires)).append("\n").append(node);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len))
    throw std::runtime_error("cluster pull credential: HMAC-SHA256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

std::string pull_query(std::string_view secret, std::string_view app, std::string_view stream,
                       std::string_view node, std::int64_t expires) {
  return "cluster_node=" + std::string(node) + "&cluster_expires=" + std::to_string(expires) +
         "&cluster_sig=" + pull_signature(secret, app, stream, expires, node);
}

std::optional<std::string> check_pull(std::string_view secret, std::string_view app, std::string_view stream,
                                      const Query& query, std::int64_t now) {
  const auto node = query.find("cluster_node");
  const auto expires_text = query.find("cluster_expires");
  const auto sig = query.find("cluster_sig");
  if (secret.empty() || node == query.end() || expires_text == query.end() || sig == query.end()) return std::nullopt;
  std::int64_t expires = 0;
  const auto& t = expires_text->second;
  if (const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), expires);
      ec != std::errc() || end != t.data() + t.size() || expires < now) {
    return std::nullopt;
  }
  const auto expected = pull_signature(secret, app, stream, expires, node->second);
  if (sig->second.size() != expected.size() ||
      CRYPTO_memcmp(sig->second.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  return node->second;
}

}  // namespace liveorigin::access
