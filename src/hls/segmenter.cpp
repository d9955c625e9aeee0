#include "liveorigin/hls/segmenter.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

namespace liveorigin::hls {

namespace {

// Encoders stamp key frames a little early: OBS sends 0, 1999, 3999 ms for a 2 s GOP (its clock
// rounded to whole ms). A key frame this close to the fragment length cuts as if it were on time.
// 5 ms is above that rounding and below half a frame even at 60 fps, so a key frame a whole frame
// early still waits for the next one.
constexpr std::int64_t kCutToleranceMs = 5;

// A hostile publisher can keep one timestamp for ever; no real segment comes near this.
constexpr std::size_t kMaxSegmentBytes = 64u << 20;

std::uint64_t to_90khz(std::int64_t ms) { return static_cast<std::uint64_t>(std::max<std::int64_t>(ms, 0)) * 90; }

// Milliseconds from a to b in the 32-bit FLV timestamp space; negative when b is earlier.
std::int64_t elapsed_ms(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(b - a); }

}  // namespace

Segmenter::Segmenter(double fragment_seconds, std::string context, Sink sink, Clock clock)
    : fragment_ms_(static_cast<std::uint32_t>(std::lround(fragment_seconds * 1000))),
      max_segment_ms_(std::max<std::uint32_t>(60000, fragment_ms_ * 10)),
      context_(context), sink_(std::move(sink)), clock_(std::move(clock)), es_(std::move(context)) {}

void Segmenter::push(const media::Packet& packet) {
  const auto au = es_.convert(packet);
  if (!au) return;
  const TsTracks tracks{es_.video_codec(), es_.audio_codec()};
  const bool has_video = tracks.video != media::Codec::none;
  if (!open_) {
    if (has_video && !(au->video && au->keyframe)) return;  // video starts on a key frame
    open(*au);
  } else {
    const auto elapsed = elapsed_ms(start_ms_, au->dts_ms);
    const bool at_key = au->video && au->keyframe;
    const bool tracks_changed = tracks != muxer_.tracks();
    const bool fragment_done = elapsed + kCutToleranceMs >= fragment_ms_;
    bool cut;
    if (has_video) {
      // A track that appeared (or a codec change) needs a new PMT: cut at the next key frame.
      cut = at_key && (fragment_done || tracks_changed);
    } else {
      cut = fragment_done || tracks_changed;
    }
    // Timestamps far out of order (a publisher reset), no key frame for very long, or a segment
    // grown huge (timestamps that never advance): cut anyway, so a segment's memory is bounded.
    if (elapsed < -1000 || elapsed >= max_segment_ms_ || buffer_.size() >= kMaxSegmentBytes) cut = true;
    if (cut) {
      close(elapsed >= 0 ? au->dts_ms : last_ms_ + last_step_);
      open(*au);
    }
  }
  mux(*au);
}

void Segmenter::finish() {
  if (open_) close(last_ms_ + last_step_);
}

void Segmenter::open(const AccessUnit& au) {
  open_ = true;
  start_ms_ = last_ms_ = au.dts_ms;
  buffer_.clear();
  buffer_.reserve(reserve_ + reserve_ / 8);
  muxer_.begin_segment(buffer_, TsTracks{es_.video_codec(), es_.audio_codec()});
}

void Segmenter::close(std::uint32_t end_ms) {
  const auto closed_at = clock_();
  open_ = false;
  reserve_ = buffer_.size();
  Segment s;
  s.start_ms = start_ms_;
  s.duration = static_cast<double>(std::max<std::int64_t>(elapsed_ms(start_ms_, end_ms), 0)) / 1000.0;
  s.tracks = muxer_.tracks();
  s.data = std::make_shared<const Bytes>(std::move(buffer_));  // moved, not copied
  s.closed_at = closed_at;
  buffer_ = Bytes();
  sink_(std::move(s));
}

void Segmenter::mux(const AccessUnit& au) {
  const auto& tracks = muxer_.tracks();
  // The time base of this segment's track that drives the cuts (video if any).
  const bool timing_track = au.video || tracks.video == media::Codec::none;
  if (timing_track) {
    const auto step = elapsed_ms(last_ms_, au.dts_ms);
    if (step > 0) {
      last_step_ = static_cast<std::uint32_t>(step);
      last_ms_ = au.dts_ms;
    }
  }
  if (au.video) {
    if (tracks.video == media::Codec::none) return;
    const auto dts = to_90khz(au.dts_ms);
    const auto pts = to_90khz(static_cast<std::int64_t>(au.dts_ms) + std::max(au.cts_ms, 0));
    muxer_.write_video(buffer_, au.data, pts, dts, au.keyframe);
  } else {
    if (tracks.audio == media::Codec::none) return;
    muxer_.write_audio(buffer_, au.data, to_90khz(au.dts_ms));
  }
}

}  // namespace liveorigin::hls
