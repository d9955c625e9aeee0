// The client side of an RTMP play (what a cluster node uses to pull a stream from its owner), fed
// what a hostile or broken server could send: a valid S0+S1+S2 first (so that the fuzzer spends
// its time after the handshake), then the input as the server's chunk stream — _result, onStatus,
// user control, window sizes, media — in pieces of a size the input picks.
#include "fuzz_util.hpp"
#include "liveorigin/rtmp/client_session.hpp"

using namespace liveorigin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  const auto [piece, bytes] = fuzz::split(data, size);
  rtmp::Limits limits;
  limits.max_message_size = 256 * 1024;
  limits.max_chunk_size = 64 * 1024;
  rtmp::ClientSession session({"live", "rtmp://127.0.0.1:1935/live", "cam?cluster_node=a"}, limits);
  session.start();
  session.take_output();
  static const Bytes handshake = [] {
    Bytes h{rtmp::handshake::kVersion};
    h.resize(1 + 2 * rtmp::handshake::kPacketSize, 0);  // S1 and S2: the client checks neither
    return h;
  }();
  std::vector<rtmp::ClientEvent> events;
  session.feed(handshake, events);
  session.take_output();
  try {
    fuzz::pieces(bytes, piece, [&](ByteView p) {
      events.clear();
      session.feed(p, events);
      session.take_output();
    });
  } catch (const ParseError&) {
  } catch (const rtmp::ProtocolError&) {
  }
  return 0;
}
