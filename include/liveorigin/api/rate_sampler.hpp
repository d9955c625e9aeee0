// Bitrates and frame rates over a sliding window: the API thread samples the streams' counters
// once a second and rates are the difference across the window. Pure (time is passed in), so the
// per-packet path stays a few relaxed atomic adds.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "liveorigin/hub/stream.hpp"

namespace liveorigin::api {

class RateSampler {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct StreamRates {
    double video_kbps = 0, audio_kbps = 0, fps = 0;
    std::array<double, 2 * hub::StreamStats::kCountedTracks> track_kbps{};  // as Counters::track_bytes
  };

  explicit RateSampler(std::chrono::milliseconds window = std::chrono::seconds(5)) : window_(window) {}

  // Records the live streams' counters and the server's byte totals at `now`.
  void sample(const std::vector<std::shared_ptr<hub::Stream>>& streams, std::uint64_t bytes_in,
              std::uint64_t bytes_out, TimePoint now);

  // Zeros until two samples of this publish exist.
  StreamRates rates(const hub::Stream& stream) const;
  double kbps_in() const { return server_.kbps(0); }
  double kbps_out() const { return server_.kbps(1); }

 private:
  struct Sample {
    TimePoint at;
    // streams: video bytes, audio bytes, video frames, then the tracks' bytes; server: in, out
    std::array<std::uint64_t, 3 + 2 * hub::StreamStats::kCountedTracks> values{};
  };
  struct Window {
    std::weak_ptr<const hub::StreamStats> stats;  // tells a republish (new stats) from the same publish
    std::deque<Sample> samples;
    void add(Sample sample, std::chrono::milliseconds span);
    double per_second(int index) const;
    double kbps(int index) const { return per_second(index) * 8 / 1000; }
  };

  std::chrono::milliseconds window_;
  std::map<hub::StreamKey, Window> streams_;
  Window server_;
};

}  // namespace liveorigin::api
