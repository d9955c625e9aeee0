#include "liveorigin/api/rate_sampler.hpp"

#include <algorithm>
#include <set>

namespace liveorigin::api {

void RateSampler::Window::add(Sample sample, std::chrono::milliseconds span) {
  samples.push_back(sample);
  // Keep the newest sample that is at least `span` old, so the window covers the whole span.
  while (samples.size() > 2 && samples[1].at <= sample.at - span) samples.pop_front();
}

double RateSampler::Window::per_second(int index) const {
  if (samples.size() < 2) return 0;
  const auto& first = samples.front();
  const auto& last = samples.back();
  const double seconds = std::chrono::duration<double>(last.at - first.at).count();
  if (seconds <= 0 || last.values[index] < first.values[index]) return 0;
  return static_cast<double>(last.values[index] - first.values[index]) / seconds;
}

void RateSampler::sample(const std::vector<std::shared_ptr<hub::Stream>>& streams, std::uint64_t bytes_in,
                         std::uint64_t bytes_out, TimePoint now) {
  server_.add({now, {bytes_in, bytes_out}}, window_);
  std::set<hub::StreamKey> live;
  for (const auto& stream : streams) {
    live.insert(stream->key());
    auto& window = streams_[stream->key()];
    if (window.stats.lock() != stream->stats()) {
      window = Window{};
      window.stats = stream->stats();
    }
    const auto c = stream->stats()->counters();
    Sample s{now, {c.video_bytes, c.audio_bytes, c.video_frames}};
    std::copy(c.track_bytes.begin(), c.track_bytes.end(), s.values.begin() + 3);
    window.add(s, window_);
  }
  std::erase_if(streams_, [&](const auto& entry) { return !live.contains(entry.first); });
}

RateSampler::StreamRates RateSampler::rates(const hub::Stream& stream) const {
  const auto it = streams_.find(stream.key());
  if (it == streams_.end() || it->second.stats.lock() != stream.stats()) return {};
  const auto& w = it->second;
  StreamRates r{w.kbps(0), w.kbps(1), w.per_second(2), {}};
  for (std::size_t i = 0; i < r.track_kbps.size(); ++i) r.track_kbps[i] = w.kbps(static_cast<int>(3 + i));
  return r;
}

}  // namespace liveorigin::api
