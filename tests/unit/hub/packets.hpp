// Small packets for hub tests, built from real FLV body layouts.
#pragma once

#include "liveorigin/media/packet.hpp"

namespace liveorigin::hub::testing {

inline media::PacketPtr video(std::uint32_t ts, bool key, std::size_t size = 100) {
  Bytes body(size, 0);
  body[0] = key ? 0x17 : 0x27;
  body[1] = 1;  // AVC NALU
  return media::make_packet(media::MediaType::video, ts, body);
}
inline media::PacketPtr video_header() {
  Bytes body{0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f};
  return media::make_packet(media::MediaType::video, 0, body);
}
inline media::PacketPtr audio(std::uint32_t ts) {
  Bytes body{0xaf, 1, 0x21, 0x10};
  return media::make_packet(media::MediaType::audio, ts, body);
}
inline media::PacketPtr audio_header() {
  Bytes body{0xaf, 0, 0x12, 0x10};
  return media::make_packet(media::MediaType::audio, 0, body);
}
inline media::PacketPtr metadata() {
  Bytes body{0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a', 0x05};
  return media::make_packet(media::MediaType::data, 0, body);
}

}  // namespace liveorigin::hub::testing
