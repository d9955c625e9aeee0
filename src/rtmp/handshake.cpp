#include "liveorigin/rtmp/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "liveorigin/rtmp/message.hpp"

namespace liveorigin::rtmp::handshake {

namespace {

constexpr std::uint8_t kPlayerKey[62] = {
    'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ', 'F', 'l', 'a', 's', 'h', ' ',
    'P', 'l', 'a', 'y', 'e', 'r', ' ', '0', '0', '1',
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
constexpr std::uint8_t kServerKey[68] = {
    'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ', 'F', 'l', 'a', 's', 'h', ' ',
    'M', 'e', 'd', 'i', 'a', ' ', 'S', 'e', 'r', 'v', 'e', 'r', ' ', '0', '0', '1',
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
constexpr std::size_t kPlayerKeyOpen = 30;
constexpr std::size_t kServerKeyOpen = 36;

// S1's version field. Non-zero tells ffmpeg to verify our digests; any FMS-like value works.
constexpr std::uint8_t kServerVersion[4] = {0x0D, 0x0E, 0x0A, 0x0D};
constexpr std::uint8_t kClientVersion[4] = {0x09, 0x00, 0x7C, 0x02};

bool equal_digest(ByteView a, ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

ByteView player_key() { return ByteView(kPlayerKey, sizeof kPlayerKey); }
ByteView player_key_open() { return ByteView(kPlayerKey, kPlayerKeyOpen); }
ByteView server_key() { return ByteView(kServerKey, sizeof kServerKey); }
ByteView server_key_open() { return ByteView(kServerKey, kServerKeyOpen); }

Digest hmac_sha256(ByteView key, ByteView data) {
  Digest d{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), d.data(), &len) ||
      len != kDigestSize)
    throw std::runtime_error("rtmp handshake: HMAC-SHA256 failed");
  return d;
}

std::size_t digest_offset(ByteView packet, Schema schema) {
  // Offsets stay within the packet by construction: at most 12 + 727 + 32 <= 772, 776 + 727 + 32 <= 1536.
  const std::size_t base = schema == Schema::schema1 ? 8 : 772;
  const std::size_t sum = std::size_t(packet[base]) + packet[base + 1] + packet[base + 2] + packet[base + 3];
  return sum % 728 + base + 4;
}

Digest packet_digest(ByteView packet, std::size_t offset, ByteView key) {
  Bytes message;
  message.reserve(kPacketSize - kDigestSize);
  message.insert(message.end(), packet.begin(), packet.begin() + offset);
  message.insert(message.end(), packet.begin() + offset + kDigestSize, packet.begin() + kPacketSize);
  return hmac_sha256(key, message);
}

std::optional<Schema> find_digest(ByteView packet, ByteView key) {
  if (packet.size() < kPacketSize) return std::nullopt;
  for (Schema schema : {Schema::schema1, Schema::schema0}) {
    const std::size_t offset = digest_offset(packet, schema);
    const Digest d = packet_digest(packet, offset, key);
    if (equal_digest(d, packet.subspan(offset, kDigestSize))) return schema;
  }
  return std::nullopt;
}

void sign(std::span<std::uint8_t> packet, Schema schema, ByteView key) {
  const std::size_t offset = digest_offset(packet, schema);
  const Digest d = packet_digest(packet, offset, key);
  std::copy(d.begin(), d.end(), packet.begin() + offset);
}

void sign_response(std::span<std::uint8_t> packet, ByteView peer_digest, ByteView full_key) {
  const Digest key = hmac_sha256(full_key, peer_digest);
  const Digest d = hmac_sha256(key, ByteView(packet).first(kPacketSize - kDigestSize));
  std::copy(d.begin(), d.end(), packet.begin() + (kPacketSize - kDigestSize));
}

bool verify_response(ByteView packet, ByteView peer_digest, ByteView full_key) {
  if (packet.size() < kPacketSize) return false;
  const Digest key = hmac_sha256(full_key, peer_digest);
  const Digest d = hmac_sha256(key, packet.first(kPacketSize - kDigestSize));
  return equal_digest(d, packet.subspan(kPacketSize - kDigestSize, kDigestSize));
}

void random_fill(std::span<std::uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
    throw std::runtime_error("rtmp handshake: no random bytes");
}

std::size_t ServerHandshake::feed(ByteView data, Bytes& out) {
  std::size_t used = 0;
  while (state_ != State::done && used < data.size()) {
    const std::size_t want = (state_ == State::c0c1 ? 1 + kPacketSize : kPacketSize) - buffer_.size();
    const std::size_t n = std::min(want, data.size() - used);
    buffer_.insert(buffer_.end(), data.begin() + used, data.begin() + used + n);
    used += n;
    if (state_ == State::c0c1 && !buffer_.empty() && buffer_[0] != kVersion)
      throw ProtocolError("rtmp handshake: unsupported version " + std::to_string(buffer_[0]) +
                          " (encrypted RTMPE is not supported)");
    if (n < want) break;
    if (state_ == State::c0c1) {
      answer(out);
      state_ = State::c2;
    } else {
      state_ = State::done;  // C2 content is not checked: clients disagree on what it holds
    }
    buffer_.clear();
  }
  if (state_ == State::done) buffer_ = Bytes{};
  return used;
}

void ServerHandshake::answer(Bytes& out) {
  const ByteView c1 = ByteView(buffer_).subspan(1, kPacketSize);
  const auto schema = find_digest(c1, player_key_open());
  digest_used_ = schema.has_value();

  Bytes s1(kPacketSize), s2(kPacketSize);
  random_fill(s1);
  std::fill_n(s1.begin(), 4, 0);  // time
  if (schema) {
    std::copy(std::begin(kServerVersion), std::end(kServerVersion), s1.begin() + 4);
    sign(s1, *schema, server_key_open());
    random_fill(s2);
    const std::size_t offset = digest_offset(c1, *schema);
    sign_response(s2, c1.subspan(offset, kDigestSize), server_key());
  } else {
    std::fill_n(s1.begin() + 4, 4, 0);  // zero version: no digest to verify
    std::copy(c1.begin(), c1.end(), s2.begin());  // plain handshake: S2 echoes C1
  }
  out.push_back(kVersion);
  out.insert(out.end(), s1.begin(), s1.end());
  out.insert(out.end(), s2.begin(), s2.end());
}

Bytes make_c1(std::optional<Schema> schema) {
  Bytes c1(kPacketSize);
  random_fill(c1);
  std::fill_n(c1.begin(), 4, 0);
  if (schema) {
    std::copy(std::begin(kClientVersion), std::end(kClientVersion), c1.begin() + 4);
    sign(c1, *schema, player_key_open());
  } else {
    std::fill_n(c1.begin() + 4, 4, 0);
  }
  return c1;
}

}  // namespace liveorigin::rtmp::handshake
