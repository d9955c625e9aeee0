// A minimal MPEG-TS reader for tests: checks packet framing and continuity, reassembles PES.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::hls::testing {

struct Pes {
  std::size_t index = 0;  // order of appearance
  std::uint16_t pid = 0;
  std::uint64_t pts = 0, dts = 0;
  bool random_access = false;
  std::optional<std::uint64_t> pcr;
  Bytes payload;
};

struct TsContent {
  std::vector<std::uint16_t> psi_pids;  // in order of appearance
  std::map<std::uint16_t, std::uint8_t> stream_types;  // from the PMT
  std::vector<Pes> pes;
};

inline std::uint64_t read_ts(const std::uint8_t* p) {
  return (std::uint64_t(p[0] >> 1) & 7) << 30 | std::uint64_t(p[1]) << 22 | std::uint64_t(p[2] >> 1) << 15 |
         std::uint64_t(p[3]) << 7 | (p[4] >> 1);
}

// Parses a whole segment; fails the test on framing or continuity errors.
inline TsContent read_ts_segment(const Bytes& ts) {
  TsContent out;
  EXPECT_EQ(ts.size() % 188, 0u);
  std::map<std::uint16_t, int> cc;
  std::map<std::uint16_t, Pes> open;
  std::size_t started = 0;
  auto flush = [&](std::uint16_t pid) {
    auto it = open.find(pid);
    if (it == open.end()) return;
    Pes pes = std::move(it->second);
    open.erase(it);
    const auto& b = pes.payload;
    EXPECT_GE(b.size(), 9u);
    EXPECT_EQ(b[0], 0);
    EXPECT_EQ(b[1], 0);
    EXPECT_EQ(b[2], 1);
    const int flags = b[7] >> 6;
    const std::size_t header = 9 + b[8];
    if (flags & 2) {
      pes.pts = pes.dts = read_ts(&b[9]);
    }
    if (flags == 3) {
      pes.dts = read_ts(&b[14]);
    }
    const std::size_t declared = b[4] << 8 | b[5];
    if (declared) {
      EXPECT_EQ(declared + 6, b.size());
    }
    pes.payload.erase(pes.payload.begin(), pes.payload.begin() + static_cast<long>(header));
    out.pes.push_back(std::move(pes));
  };
  for (std::size_t at = 0; at + 188 <= ts.size(); at += 188) {
    const std::uint8_t* p = &ts[at];
    EXPECT_EQ(p[0], 0x47) << "at " << at;
    const bool start = p[1] & 0x40;
    const std::uint16_t pid = static_cast<std::uint16_t>((p[1] & 0x1f) << 8 | p[2]);
    const int afc = p[3] >> 4 & 3;
    const int counter = p[3] & 0x0f;
    if (cc.count(pid)) {
      EXPECT_EQ(counter, (cc[pid] + 1) & 0x0f) << "continuity on pid " << pid;
    }
    cc[pid] = counter;
    std::size_t i = 4;
    bool random_access = false;
    std::optional<std::uint64_t> pcr;
    if (afc & 2) {
      const std::size_t len = p[4];
      if (len > 0) {
        random_access = p[5] & 0x40;
        if (p[5] & 0x10) pcr = std::uint64_t(p[6]) << 25 | std::uint64_t(p[7]) << 17 |
                               std::uint64_t(p[8]) << 9 | std::uint64_t(p[9]) << 1 | p[10] >> 7;
      }
      i = 5 + len;
    }
    EXPECT_LE(i, 188u);
    if (pid == 0 || pid == 0x1000) {
      out.psi_pids.push_back(pid);
      if (pid == 0x1000) {
        const std::uint8_t* s = p + 5;
        const int len = (s[1] & 0x0f) << 8 | s[2];
        const int info = (s[10] & 0x0f) << 8 | s[11];
        for (int k = 12 + info; k < 3 + len - 4; k += 5 + ((s[k + 3] & 0x0f) << 8 | s[k + 4]))
          out.stream_types[static_cast<std::uint16_t>((s[k + 1] & 0x1f) << 8 | s[k + 2])] = s[k];
      }
      continue;
    }
    if (start) {
      flush(pid);
      open[pid].pid = pid;
      open[pid].index = started++;
      open[pid].random_access = random_access;
      open[pid].pcr = pcr;
    }
    if (open.count(pid)) open[pid].payload.insert(open[pid].payload.end(), p + i, p + 188);
  }
  while (!open.empty()) flush(open.begin()->first);
  std::sort(out.pes.begin(), out.pes.end(), [](const Pes& a, const Pes& b) { return a.index < b.index; });
  return out;
}

// FLV packets as an encoder sends them.
inline Bytes avc_record() {
  return {1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0x00, 0x1f, 1, 0, 2, 0x68, 0xee};
}
inline media::PacketPtr avc_header() {
  Bytes body{0x17, 0, 0, 0, 0};
  const auto rec = avc_record();
  body.insert(body.end(), rec.begin(), rec.end());
  return media::make_packet(media::MediaType::video, 0, body);
}
// One frame: a single NAL (IDR type 5 or slice type 1) of `size` bytes, 4-byte length prefixed.
inline media::PacketPtr avc_frame(std::uint32_t ts, bool key, std::int32_t cts = 0, std::size_t size = 300) {
  Bytes body{static_cast<std::uint8_t>(key ? 0x17 : 0x27), 1, std::uint8_t(cts >> 16), std::uint8_t(cts >> 8),
             std::uint8_t(cts)};
  ByteWriter w(body);
  w.u32be(static_cast<std::uint32_t>(size));
  body.push_back(key ? 0x65 : 0x41);
  body.resize(body.size() + size - 1, 0xab);
  return media::make_packet(media::MediaType::video, ts, body);
}
inline media::PacketPtr aac_header() {
  Bytes body{0xaf, 0, 0x12, 0x10};  // AAC LC, 44.1 kHz, stereo
  return media::make_packet(media::MediaType::audio, 0, body);
}
inline media::PacketPtr aac_frame(std::uint32_t ts, std::size_t size = 200) {
  Bytes body{0xaf, 1};
  body.resize(2 + size, 0x21);
  return media::make_packet(media::MediaType::audio, ts, body);
}

}  // namespace liveorigin::hls::testing
