// The whole RTMP command layer of one connection: a valid handshake first (so that the fuzzer
// spends its time after it), then the input as the chunk stream — connect, createStream, publish,
// play, media, aggregates, user control... with hostile arguments. Events are answered the way the
// server does (connect accepted, publish/play accepted or rejected by the input's parity).
#include <stdexcept>

#include "fuzz_util.hpp"
#include "liveorigin/rtmp/server_session.hpp"

using namespace liveorigin;

namespace {
struct Answer {
  rtmp::ServerSession& s;
  bool accept;
  void operator()(const rtmp::ConnectEvent&) { accept ? s.accept_connect() : s.reject_connect("no"); }
  void operator()(const rtmp::PublishEvent& e) {
    accept ? s.accept_publish(e.stream_id, e.stream) : s.reject_publish(e.stream_id, "NetStream.Publish.BadName", "no");
  }
  void operator()(const rtmp::PlayEvent& e) {
    if (accept) {
      s.accept_play(e.stream_id, e.stream);
      s.end_play(e.stream_id, e.stream);
    } else {
      s.reject_play(e.stream_id, "NetStream.Play.StreamNotFound", "no");
    }
  }
  void operator()(const rtmp::MediaEvent&) {}
  void operator()(const rtmp::CloseStreamEvent&) {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  const auto [piece, bytes] = fuzz::split(data, size);
  rtmp::Limits limits;
  limits.max_message_size = 256 * 1024;
  limits.max_chunk_size = 64 * 1024;
  rtmp::ServerSession session(limits);
  std::vector<rtmp::Event> events;
  static const Bytes handshake = [] {
    Bytes h{rtmp::handshake::kVersion};
    const Bytes c1 = rtmp::handshake::make_c1(std::nullopt);
    h.insert(h.end(), c1.begin(), c1.end());
    h.insert(h.end(), c1.begin(), c1.end());  // C2: not checked
    return h;
  }();
  session.feed(handshake, events);
  if (!session.handshake_done()) __builtin_trap();
  session.take_output();
  const bool accept = size == 0 || data[0] % 2 == 0;
  try {
    fuzz::pieces(bytes, piece, [&](ByteView p) {
      events.clear();
      session.feed(p, events);
      for (const auto& e : events) std::visit(Answer{session, accept}, e);
      session.take_output();
    });
  } catch (const ParseError&) {
  } catch (const rtmp::ProtocolError&) {
  }
  return 0;
}
