// The HLS segmenter and MPEG-TS muxer fed with hostile packet sequences: the input is a bare FLV tag
// stream (what the seed script cuts out of ffmpeg's FLV output), each tag a packet. Timestamps
// jump, rewind, repeat; sequence headers change codecs mid-stream; NAL lengths lie.
#include <stdexcept>

#include "fuzz_util.hpp"
#include "liveorigin/hls/segmenter.hpp"
#include "liveorigin/media/flv.hpp"

using namespace liveorigin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  if (size == 0) return 0;
  const double fragment = 0.5 + (data[0] % 8) * 0.5;
  std::size_t segments = 0;
  hls::Segmenter segmenter(fragment, "fuzz", [&](hls::Segment s) {
    ++segments;
    if (!s.data) __builtin_trap();
    // MPEG-TS comes in whole 188-byte packets; an fMP4 fragment (hls.format auto picks it for
    // codecs TS cannot carry) needs its init segment.
    if (s.init ? s.init->empty() : s.data->size() % hls::kTsPacketSize != 0) __builtin_trap();
    if (s.duration < 0) __builtin_trap();
  }, [] { return std::chrono::steady_clock::time_point{}; });
  media::FlvReader reader(false, 1u << 20);
  reader.feed(ByteView(data + 1, size - 1));
  try {
    while (auto tag = reader.next()) segmenter.push(*media::make_packet(tag->type, tag->timestamp, tag->body));
  } catch (const ParseError&) {
  }
  segmenter.finish();
  return 0;
}
