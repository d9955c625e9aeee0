// Cuts a stream's packets into MPEG-TS segments: on a video key frame once `fragment` seconds have
// passed in presentation time (audio-only streams: by time). Pure logic over packet timestamps; each finished segment
// goes to a sink (the library, the disk writer) as one immutable shared buffer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/hls/elementary_stream.hpp"
#include "liveorigin/hls/fmp4_muxer.hpp"
#include "liveorigin/hls/ts_muxer.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::hls {

struct Segment {
  std::uint32_t start_ms = 0;  // DTS of its first access unit
  double duration = 0;         // seconds, from its first key frame's presentation to the next one's
  TsTracks tracks;                    // the codecs of its tracks (fMP4 too)
  std::shared_ptr<const Bytes> data;  // MPEG-TS, or one fMP4 fragment (moof + mdat)
  std::shared_ptr<const Bytes> init;  // fMP4: the init segment it needs (shared while unchanged)
  // When the packet that closed it (the next key frame) arrived; for the latency figure.
  std::chrono::steady_clock::time_point closed_at;
};

// hls.format: auto takes MPEG-TS when it can carry every track, else fMP4 (decided when the first
// segment opens, from the sequence headers seen by then).
enum class Format { automatic, ts, fmp4 };

class Segmenter {
 public:
  using Sink = std::function<void(Segment)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  Segmenter(double fragment_seconds, std::string context, Sink sink,
            Clock clock = [] { return std::chrono::steady_clock::now(); }, Format format = Format::automatic);

  void push(const media::Packet& packet);
  // An audio rendition's segmenter cuts where the stream's own playlist does, not by time: it
  // opens and cuts only at the first packet after each cut_next().
  void follow_cuts() { follow_ = true; }
  void cut_next() { cut_requested_ = true; }
  // Segments opened so far (the owner tells its renditions when this changes).
  std::uint64_t opened() const { return opened_; }
  // The stream ended: hands out the open segment, if any.
  void finish();

 private:
  std::optional<AccessUnit> convert(const media::Packet& packet);
  TsTracks current_tracks() const;
  bool tracks_changed() const;
  void open(const AccessUnit& au);
  void close(std::uint32_t end_ms);
  void mux(const AccessUnit& au);

  std::uint32_t fragment_ms_;
  std::uint32_t max_segment_ms_;  // cut even without a key frame: a segment's memory is bounded
  std::string context_;
  Sink sink_;
  Clock clock_;
  Format format_;
  bool follow_ = false;
  bool cut_requested_ = false;
  std::uint64_t opened_ = 0;
  bool decided_ = false;  // the format of this publish is chosen (at the first segment)
  bool fmp4_mode_ = false;
  ElementaryStreams es_;
  TsMuxer muxer_;
  Fmp4Source fmp4_source_;
  std::unique_ptr<Fmp4Muxer> fmp4_;
  std::optional<std::pair<Fmp4Track, Fmp4Track>> failed_tracks_;  // the muxer refused these
  std::size_t segment_bytes_ = 0;
  bool open_ = false;
  std::uint32_t start_ms_ = 0;
  std::uint32_t start_pts_ = 0;   // presentation time of the first access unit (a key frame)
  std::uint32_t last_ms_ = 0;     // latest DTS of the timing track (video, else audio)
  std::uint32_t last_step_ = 0;   // DTS step before it: the tail length estimate at finish()
  std::size_t reserve_ = 0;       // the previous segment's size: one allocation per segment
  Bytes buffer_;
};

}  // namespace liveorigin::hls
