// One step of usage for billing: what the hub's meter counts and the store keeps. A record is for
// one stream (app and stream set), one app (stream empty) or the whole server (both empty).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace liveorigin::common {

// Bytes out are counted per protocol in this order; player time for the first three (a VOD
// download has bytes but no play time the server can see).
inline constexpr std::array<const char*, 4> kUsageProtocols{"rtmp", "flv", "hls", "vod"};
inline constexpr std::size_t kUsageVod = 3;
inline constexpr std::size_t kPlayerTimeProtocols = 3;

struct UsageRecord {
  std::string app;
  std::string stream;
  std::int64_t start = 0;    // Unix seconds: the first second of the minute (or hour)
  std::int64_t seconds = 60; // 60: a minute; 3600: an hour rolled up from minutes
  std::uint64_t bytes_in = 0;
  std::array<std::uint64_t, kUsageProtocols.size()> bytes_out{};
  std::uint64_t peak_kbps_out = 0;
  std::array<double, kPlayerTimeProtocols> player_seconds{};

  std::uint64_t bytes_out_total() const {
    std::uint64_t total = 0;
    for (auto b : bytes_out) total += b;
    return total;
  }
  bool empty() const {
    if (bytes_in != 0 || bytes_out_total() != 0 || peak_kbps_out != 0) return false;
    return std::all_of(player_seconds.begin(), player_seconds.end(), [](double s) { return s == 0; });
  }
  // Sums bytes and player time; the peak of two steps is the higher one.
  void add(const UsageRecord& other) {
    bytes_in += other.bytes_in;
    for (std::size_t i = 0; i < bytes_out.size(); ++i) bytes_out[i] += other.bytes_out[i];
    peak_kbps_out = std::max(peak_kbps_out, other.peak_kbps_out);
    for (std::size_t i = 0; i < player_seconds.size(); ++i) player_seconds[i] += other.player_seconds[i];
  }
};

}  // namespace liveorigin::common
