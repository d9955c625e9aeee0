// The chunk stream after the handshake: chunk headers of every format, extended timestamps,
// interleaved chunk streams, Set Chunk Size and Abort anywhere, fed in pieces of any size. The
// limits are small so that the fuzzer reaches them.
#include <stdexcept>

#include "fuzz_util.hpp"
#include "liveorigin/rtmp/chunk_reader.hpp"

using namespace liveorigin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  const auto [piece, bytes] = fuzz::split(data, size);
  rtmp::Limits limits;
  limits.max_message_size = 64 * 1024;
  limits.max_chunk_size = 4096;
  limits.max_chunk_streams = 16;
  rtmp::ChunkReader reader(limits);
  std::vector<rtmp::Message> out;
  try {
    fuzz::pieces(bytes, piece, [&](ByteView p) {
      reader.feed(p, out);
      for (const auto& m : out) {
        if (m.body.size() > limits.max_message_size) __builtin_trap();
        if (m.type == rtmp::message_type::kSetChunkSize || m.type == rtmp::message_type::kAbort)
          __builtin_trap();  // applied inside, never passed on
      }
      out.clear();
      if (reader.chunk_size() == 0 || reader.chunk_size() > limits.max_chunk_size) __builtin_trap();
    });
  } catch (const ParseError&) {
  } catch (const rtmp::ProtocolError&) {
  }
  return 0;
}
