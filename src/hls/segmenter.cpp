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

// An access unit's presentation time (its decode time for audio).
std::uint32_t presentation_ms(const AccessUnit& au) {
  return au.dts_ms + static_cast<std::uint32_t>(au.video ? std::max(au.cts_ms, 0) : 0);
}

}  // namespace

Segmenter::Segmenter(double fragment_seconds, std::string context, Sink sink, Clock clock, Format format)
    : fragment_ms_(static_cast<std::uint32_t>(std::lround(fragment_seconds * 1000))),
      max_segment_ms_(std::max<std::uint32_t>(60000, fragment_ms_ * 10)),
      context_(context), sink_(std::move(sink)), clock_(std::move(clock)), format_(format),
      es_(std::move(context)) {}

std::optional<AccessUnit> Segmenter::convert(const media::Packet& packet) {
  if (decided_) return fmp4_mode_ ? fmp4_source_.convert(packet) : es_.convert(packet);
  // Until the first segment opens both sides see the sequence headers; MPEG-TS only the codecs it
  // carries, so that it warns about a codec only once it is the chosen format.
  auto fmp4 = fmp4_source_.convert(packet);
  std::optional<AccessUnit> ts;
  if (format_ != Format::fmp4 && ts_can_carry(packet.is_video() ? packet.codec : media::Codec::none,
                                              packet.is_audio() ? packet.codec : media::Codec::none)) {
    ts = es_.convert(packet);
  }
  // The first access unit that could open a segment (AC-3 / E-AC-3 come from the TS side only).
  const auto& first = fmp4 ? fmp4 : ts;
  const bool has_video = fmp4_source_.video().codec != media::Codec::none || es_.video_codec() != media::Codec::none;
  const bool starts = first && (first->video ? first->keyframe : !has_video);
  // Nothing opens a segment before the format is chosen: not even a TS access unit the TS side
  // takes for a key frame while the fMP4 side does not, or that segment would be closed as fMP4.
  if (!starts) return std::nullopt;
  decided_ = true;
  fmp4_mode_ = format_ == Format::fmp4 ||
               (format_ == Format::automatic && !ts_can_carry(fmp4_source_.video().codec, fmp4_source_.audio().codec));
  const auto tracks = current_tracks();
  spdlog::info("{}: hls: {} segments ({} video, {} audio)", context_, fmp4_mode_ ? "fMP4" : "MPEG-TS",
               media::codec_name(tracks.video), media::codec_name(tracks.audio));
  return fmp4_mode_ ? fmp4 : ts;
}

TsTracks Segmenter::current_tracks() const {
  if (fmp4_mode_) return {fmp4_source_.video().codec, fmp4_source_.audio().codec};
  return {es_.video_codec(), es_.audio_codec()};
}

bool Segmenter::tracks_changed() const {
  if (!fmp4_mode_) return current_tracks() != muxer_.tracks();
  return !fmp4_ || !(fmp4_->video() == fmp4_source_.video() && fmp4_->audio() == fmp4_source_.audio());
}

void Segmenter::push(const media::Packet& packet) {
  const auto au = convert(packet);
  if (!au) return;
  const TsTracks tracks = current_tracks();
  const bool has_video = tracks.video != media::Codec::none;
  if (!open_) {
    if (has_video && !(au->video && au->keyframe)) return;  // video starts on a key frame
    if (follow_ && !cut_requested_) return;
    open(*au);
    if (!open_) return;
  } else {
    const auto elapsed = elapsed_ms(start_ms_, au->dts_ms);
    const bool at_key = au->video && au->keyframe;
    const bool tracks_changed = this->tracks_changed();
    // Segments span key frame to key frame in presentation time: with B-frames a key frame's
    // decode time comes earlier than its presentation by a varying reordering delay.
    const auto presented = elapsed_ms(start_pts_, presentation_ms(*au));
    const bool fragment_done = (has_video ? presented : elapsed) + kCutToleranceMs >= fragment_ms_;
    bool cut;
    if (has_video) {
      // A track that appeared (or a codec change) needs a new PMT: cut at the next key frame.
      cut = at_key && (fragment_done || tracks_changed);
    } else {
      cut = (follow_ ? cut_requested_ : fragment_done) || tracks_changed;
    }
    // Timestamps far out of order (a publisher reset), no key frame for very long, or a segment
    // grown huge (timestamps that never advance): cut anyway, so a segment's memory is bounded.
    if (elapsed < -1000 || elapsed >= max_segment_ms_ || segment_bytes_ >= kMaxSegmentBytes) cut = true;
    if (cut) {
      close(elapsed >= 0 ? presentation_ms(*au) : last_ms_ + last_step_ + (start_pts_ - start_ms_));
      open(*au);
      if (!open_) return;
    }
  }
  mux(*au);
}

void Segmenter::finish() {
  // The last frame's presentation end: its decode time and step, shifted as the first key frame was.
  if (open_) close(last_ms_ + last_step_ + (start_pts_ - start_ms_));
}

void Segmenter::open(const AccessUnit& au) {
  if (fmp4_mode_ && tracks_changed()) {
    // A new init segment for new tracks or configs; players switch at the discontinuity.
    fmp4_.reset();
    const auto tracks = std::make_pair(fmp4_source_.video(), fmp4_source_.audio());
    if (failed_tracks_ == tracks) return;  // refused already: wait for other tracks
    try {
      fmp4_ = std::make_unique<Fmp4Muxer>(tracks.first, tracks.second);
      failed_tracks_.reset();
    } catch (const std::exception& e) {
      failed_tracks_ = tracks;
      spdlog::warn("{}: hls: no fMP4 for these tracks ({}); segments skipped until they change", context_,
                   e.what());
      return;
    }
  }
  open_ = true;
  cut_requested_ = false;
  ++opened_;
  segment_bytes_ = 0;
  start_ms_ = last_ms_ = au.dts_ms;
  start_pts_ = presentation_ms(au);
  if (fmp4_mode_) return;
  buffer_.clear();
  buffer_.reserve(reserve_ + reserve_ / 8);
  muxer_.begin_segment(buffer_, current_tracks());
}

void Segmenter::close(std::uint32_t end_ms) {
  const auto closed_at = clock_();
  open_ = false;
  reserve_ = buffer_.size();
  Segment s;
  s.start_ms = start_ms_;
  s.duration = static_cast<double>(std::max<std::int64_t>(elapsed_ms(start_pts_, end_ms), 0)) / 1000.0;
  s.closed_at = closed_at;
  if (fmp4_mode_) {
    s.tracks = {fmp4_->video().codec, fmp4_->audio().codec};
    s.init = fmp4_->init();
    try {
      s.data = std::make_shared<const Bytes>(fmp4_->fragment());
    } catch (const std::exception& e) {
      spdlog::warn("{}: hls: fMP4 fragment lost ({})", context_, e.what());
      fmp4_.reset();  // the next segment starts a new init segment
      return;
    }
  } else {
    s.tracks = muxer_.tracks();
    s.data = std::make_shared<const Bytes>(std::move(buffer_));  // moved, not copied
    buffer_ = Bytes();
  }
  sink_(std::move(s));
}

void Segmenter::mux(const AccessUnit& au) {
  segment_bytes_ += au.data.size();
  const TsTracks tracks = fmp4_mode_ ? TsTracks{fmp4_->video().codec, fmp4_->audio().codec} : muxer_.tracks();
  // The time base of this segment's track that drives the cuts (video if any).
  const bool timing_track = au.video || tracks.video == media::Codec::none;
  if (timing_track) {
    const auto step = elapsed_ms(last_ms_, au.dts_ms);
    if (step > 0) {
      last_step_ = static_cast<std::uint32_t>(step);
      last_ms_ = au.dts_ms;
    }
  }
  if (fmp4_mode_) {
    try {
      fmp4_->write(au);
    } catch (const std::exception& e) {
      spdlog::warn("{}: hls: fMP4 sample dropped ({})", context_, e.what());
    }
    return;
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
