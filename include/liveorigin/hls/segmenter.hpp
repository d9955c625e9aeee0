// Cuts a stream's packets into MPEG-TS segments: on a video key frame once `fragment` seconds have
// passed (audio-only streams: by time). Pure logic over packet timestamps; each finished segment
// goes to a sink (the library, the disk writer) as one immutable shared buffer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/hls/elementary_stream.hpp"
#include "liveorigin/hls/ts_muxer.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::hls {

struct Segment {
  std::uint32_t start_ms = 0;  // DTS of its first access unit
  double duration = 0;         // seconds, up to the next segment's start
  TsTracks tracks;
  std::shared_ptr<const Bytes> data;
  // When the packet that closed it (the next key frame) arrived; for the latency figure.
  std::chrono::steady_clock::time_point closed_at;
};

class Segmenter {
 public:
  using Sink = std::function<void(Segment)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  Segmenter(double fragment_seconds, std::string context, Sink sink,
            Clock clock = [] { return std::chrono::steady_clock::now(); });

  void push(const media::Packet& packet);
  // The stream ended: hands out the open segment, if any.
  void finish();

 private:
  void open(const AccessUnit& au);
  void close(std::uint32_t end_ms);
  void mux(const AccessUnit& au);

  std::uint32_t fragment_ms_;
  std::uint32_t max_segment_ms_;  // cut even without a key frame: a segment's memory is bounded
  std::string context_;
  Sink sink_;
  Clock clock_;
  ElementaryStreams es_;
  TsMuxer muxer_;
  bool open_ = false;
  std::uint32_t start_ms_ = 0;
  std::uint32_t last_ms_ = 0;     // latest DTS of the timing track (video, else audio)
  std::uint32_t last_step_ = 0;   // DTS step before it: the tail length estimate at finish()
  std::size_t reserve_ = 0;       // the previous segment's size: one allocation per segment
  Bytes buffer_;
};

}  // namespace liveorigin::hls
