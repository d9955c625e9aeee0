#include "liveorigin/hub/stream_stats.hpp"

#include <gtest/gtest.h>

namespace liveorigin::hub {
namespace {

// An enhanced audio Multitrack tag, ManyTracks of Opus: [0x95][ManyTracks|CodedFrames]['Opus'],
// then per track its id, 24-bit size and payload.
Bytes opus_many_tracks(const std::vector<std::pair<std::uint8_t, std::size_t>>& tracks) {
  Bytes body{0x95, 0x11, 'O', 'p', 'u', 's'};
  for (const auto& [id, size] : tracks) {
    body.push_back(id);
    body.push_back(static_cast<std::uint8_t>(size >> 16));
    body.push_back(static_cast<std::uint8_t>(size >> 8));
    body.push_back(static_cast<std::uint8_t>(size));
    body.insert(body.end(), size, 0xfc);
  }
  return body;
}

// Each track of a Multitrack tag counts its own payload; a plain tag counts whole for track 0;
// track ids past the counted ones are not counted anywhere.
TEST(StreamStats, CountsBytesPerTrack) {
  StreamStats stats;
  stats.on_packet(*media::make_packet(media::MediaType::audio, 0, opus_many_tracks({{0, 10}, {1, 30}, {9, 5}})));
  stats.on_packet(*media::make_packet(media::MediaType::audio, 20, opus_many_tracks({{1, 7}})));
  const Bytes plain{0xaf, 0x01, 1, 2, 3};  // a legacy AAC frame
  stats.on_packet(*media::make_packet(media::MediaType::audio, 40, plain));
  const auto c = stats.counters();
  EXPECT_EQ(c.track_bytes[StreamStats::track_slot(false, 0)], 10u + plain.size());
  EXPECT_EQ(c.track_bytes[StreamStats::track_slot(false, 1)], 37u);
  EXPECT_EQ(c.track_bytes[StreamStats::track_slot(true, 0)], 0u);
  std::uint64_t total = 0;
  for (auto n : c.track_bytes) total += n;
  EXPECT_EQ(total, 10u + 37u + plain.size());
}

}  // namespace
}  // namespace liveorigin::hub
