// The RTMP handshake: plain (echo) and the Flash "digest" variant. Pure: bytes in, bytes out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "liveorigin/common/bytes.hpp"

namespace liveorigin::rtmp::handshake {

inline constexpr std::size_t kPacketSize = 1536;  // C1, C2, S1, S2
inline constexpr std::size_t kDigestSize = 32;
inline constexpr std::uint8_t kVersion = 3;       // C0/S0: plain RTMP

using Digest = std::array<std::uint8_t, kDigestSize>;

// Where a packet's digest sits: its offset is derived from 4 bytes at byte 8 (schema 1, what
// ffmpeg and Flash Player 9+ send) or at byte 772 (schema 0).
enum class Schema : std::uint8_t { schema0, schema1 };

// The 62/68-byte keys; the first 30/36 bytes ("Genuine Adobe Flash Player 001" / "Genuine Adobe
// Flash Media Server 001") sign C1/S1, the full keys derive the C2/S2 signing key.
ByteView player_key();
ByteView player_key_open();
ByteView server_key();
ByteView server_key_open();

Digest hmac_sha256(ByteView key, ByteView data);
std::size_t digest_offset(ByteView packet, Schema schema);
// HMAC-SHA256 with `key` over the packet minus the 32 digest bytes at `offset`.
Digest packet_digest(ByteView packet, std::size_t offset, ByteView key);
// The schema whose digest verifies with `key`, if any.
std::optional<Schema> find_digest(ByteView packet, ByteView key);
// Writes the digest into `packet` (1536 bytes) at the schema's position.
void sign(std::span<std::uint8_t> packet, Schema schema, ByteView key);
// Fills `packet`'s last 32 bytes with the C2/S2 signature answering `peer_digest`:
// HMAC(HMAC(full_key, peer_digest), packet[0..1504)).
void sign_response(std::span<std::uint8_t> packet, ByteView peer_digest, ByteView full_key);
bool verify_response(ByteView packet, ByteView peer_digest, ByteView full_key);

void random_fill(std::span<std::uint8_t> out);

// Server side: consumes C0+C1, answers S0+S1+S2, then consumes C2.
class ServerHandshake {
 public:
  // Consumes what it needs of `data` (returns the count; the rest belongs to the chunk stream)
  // and appends replies to `out`. Throws ProtocolError on an unsupported version.
  std::size_t feed(ByteView data, Bytes& out);
  bool done() const { return state_ == State::done; }
  // Whether the client's C1 carried a valid digest (known after C1).
  bool digest_used() const { return digest_used_; }

 private:
  enum class State { c0c1, c2, done };
  void answer(Bytes& out);

  State state_ = State::c0c1;
  Bytes buffer_;
  bool digest_used_ = false;
};

// Client side pieces (used by tests; a future pull/relay client builds on them).
// C1 with a digest under `schema` (version field non-zero), or a plain one when nullopt.
Bytes make_c1(std::optional<Schema> schema);

}  // namespace liveorigin::rtmp::handshake
