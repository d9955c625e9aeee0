// The server side of the RTMP handshake (C0+C1, then C2), fed in pieces of any size.
#include <stdexcept>

#include "fuzz_util.hpp"
#include "liveorigin/rtmp/handshake.hpp"
#include "liveorigin/rtmp/message.hpp"

using namespace liveorigin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  const auto [piece, bytes] = fuzz::split(data, size);
  rtmp::handshake::ServerHandshake hs;
  Bytes out;
  std::size_t consumed = 0;
  try {
    fuzz::pieces(bytes, piece, [&](ByteView p) {
      if (hs.done()) return;
      const std::size_t used = hs.feed(p, out);
      if (used > p.size()) __builtin_trap();
      consumed += used;
    });
  } catch (const rtmp::ProtocolError&) {
    return 0;
  }
  // S0+S1+S2 once C0+C1 are in, and never more than what C0..C2 take.
  if (consumed > 1 + 2 * rtmp::handshake::kPacketSize) __builtin_trap();
  if (consumed >= 1 + rtmp::handshake::kPacketSize && out.size() != 1 + 2 * rtmp::handshake::kPacketSize)
    __builtin_trap();
  if (hs.done() != (consumed == 1 + 2 * rtmp::handshake::kPacketSize)) __builtin_trap();
  return 0;
}
