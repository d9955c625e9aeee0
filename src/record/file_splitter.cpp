#include "liveorigin/record/file_splitter.hpp"

#include <algorithm>
#include <cstring>

#include "liveorigin/media/tag.hpp"

namespace liveorigin::record {

namespace {

// As the HLS segmenter's cut tolerance: above encoders' ms rounding, below half a frame at 60 fps.
constexpr std::uint32_t kSplitToleranceMs = 5;

}  // namespace

bool FileSplitter::can_start_file(const media::Packet& p) const {
  if (p.is_video()) return p.keyframe;
  return p.is_audio() && !has_video_;
}

FileSplitter::Action FileSplitter::on_packet(const media::Packet& p) {
  if (p.is_video()) has_video_ = true;
  if (p.type == media::MediaType::data || p.track_config) return Action::keep;
  if (!started_) {
    if (!can_start_file(p)) return Action::skip;
    started_ = true;
    file_start_ = p.timestamp;
    return Action::start_file;
  }
  if (can_start_file(p)) {
    // Unsigned difference: right across the 32-bit millisecond wrap (49 days).
    const std::uint32_t elapsed = p.timestamp - file_start_;
    // Key frames stamped a few ms early (OBS: 0, 1999, 3999 ms) still split on time.
    const bool due = interval_ms_ > 0 && elapsed < 0x80000000u && elapsed + kSplitToleranceMs >= interval_ms_;
    if (due || split_requested_) {
      split_requested_ = false;
      file_start_ = p.timestamp;
      return Action::split;
    }
  }
  return Action::append;
}

std::uint32_t FileSplitter::file_time(std::uint32_t dts) const {
  const std::uint32_t rel = dts - file_start_;
  return rel >= 0x80000000u ? 0 : rel;  // a timestamp before the file start
}

ByteView codec_payload(const media::Packet& p) {
  if (p.is_video()) {
    const auto tag = media::parse_video_tag(p.body());
    return tag ? tag->payload : ByteView{};
  }
  if (p.is_audio()) {
    const auto tag = media::parse_audio_tag(p.body());
    return tag ? tag->payload : ByteView{};
  }
  return p.body();
}

void restamp_tag_header(const media::Packet& p, std::uint32_t ts, std::uint8_t out[11]) {
  std::memcpy(out, p.flv_tag.data(), 11);
  out[4] = static_cast<std::uint8_t>(ts >> 16);
  out[5] = static_cast<std::uint8_t>(ts >> 8);
  out[6] = static_cast<std::uint8_t>(ts);
  out[7] = static_cast<std::uint8_t>(ts >> 24);  // TimestampExtended
}

}  // namespace liveorigin::record
