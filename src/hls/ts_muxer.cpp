#include "liveorigin/hls/ts_muxer.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace liveorigin::hls {

namespace {

constexpr std::uint64_t kTimestampMask = (std::uint64_t{1} << 33) - 1;

// CRC-32/MPEG-2 (poly 0x04C11DB7, not reflected, init all ones), as PSI sections need.
constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i << 24;
    for (int k = 0; k < 8; ++k) c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

std::uint32_t crc32_mpeg(ByteView data) {
  std::uint32_t crc = 0xffffffffu;
  for (auto b : data) crc = (crc << 8) ^ kCrcTable[((crc >> 24) ^ b) & 0xff];
  return crc;
}

void put_timestamp(std::uint8_t* p, std::uint8_t marker, std::uint64_t v) {
  v &= kTimestampMask;
  p[0] = static_cast<std::uint8_t>(marker << 4 | ((v >> 29) & 0x0e) | 1);
  p[1] = static_cast<std::uint8_t>(v >> 22);
  p[2] = static_cast<std::uint8_t>(((v >> 14) & 0xfe) | 1);
  p[3] = static_cast<std::uint8_t>(v >> 7);
  p[4] = static_cast<std::uint8_t>(((v << 1) & 0xfe) | 1);
}

std::uint8_t stream_type(media::Codec c) {
  switch (c) {
    case media::Codec::h264: return 0x1b;
    case media::Codec::hevc: return 0x24;
    case media::Codec::aac: return 0x0f;  // ADTS
    case media::Codec::mp3: return 0x03;
    // AC-3 and E-AC-3 as ATSC (A/52) and Apple's HLS authoring spec name them, as ffmpeg writes them.
    case media::Codec::ac3: return 0x81;
    case media::Codec::eac3: return 0x87;
    default: return 0;
  }
}

// Appends the CRC over a section built in `s` (from table_id on).
void finish_section(Bytes& s) {
  const std::uint32_t crc = crc32_mpeg(s);
  ByteWriter(s).u32be(crc);
}

}  // namespace

void TsMuxer::begin_segment(Bytes& out, TsTracks tracks) {
  tracks_ = tracks;
  Bytes pat;
  ByteWriter w(pat);
  w.u8(0x00);         // table_id: program_association_section
  w.u16be(0xb000 | 13);
  w.u16be(0x0001);    // transport_stream_id
  w.u8(0xc1);         // version 0, current_next
  w.u8(0);
  w.u8(0);
  w.u16be(0x0001);    // program_number 1 ...
  w.u16be(0xe000 | pmt_.id);  // ... has its PMT here
  finish_section(pat);
  write_psi(out, pat_, pat);

  const int streams = (tracks.video != media::Codec::none) + (tracks.audio != media::Codec::none);
  Bytes pmt;
  ByteWriter m(pmt);
  m.u8(0x02);  // table_id: TS_program_map_section
  m.u16be(static_cast<std::uint16_t>(0xb000 | (13 + 5 * streams)));
  m.u16be(0x0001);
  m.u8(0xc1);
  m.u8(0);
  m.u8(0);
  const auto pcr_pid = tracks.video != media::Codec::none ? video_.id : audio_.id;
  m.u16be(static_cast<std::uint16_t>(0xe000 | pcr_pid));
  m.u16be(0xf000);  // no program descriptors
  if (tracks.video != media::Codec::none) {
    m.u8(stream_type(tracks.video));
    m.u16be(static_cast<std::uint16_t>(0xe000 | video_.id));
    m.u16be(0xf000);
  }
  if (tracks.audio != media::Codec::none) {
    m.u8(stream_type(tracks.audio));
    m.u16be(static_cast<std::uint16_t>(0xe000 | audio_.id));
    m.u16be(0xf000);
  }
  finish_section(pmt);
  write_psi(out, pmt_, pmt);
}

void TsMuxer::write_video(Bytes& out, ByteView annexb, std::uint64_t pts, std::uint64_t dts,
                          bool keyframe) {
  // Video PES length 0 (unbounded): a frame may exceed 64 KiB.
  write_pes(out, video_, 0xe0, annexb, pts, dts, pts != dts, keyframe, true, false);
}

void TsMuxer::write_audio(Bytes& out, ByteView frames, std::uint64_t pts) {
  const bool pcr = tracks_.video == media::Codec::none;
  // MPEG audio streams take stream_id 0xc0; AC-3 / E-AC-3 ride in private_stream_1.
  const bool dolby = tracks_.audio == media::Codec::ac3 || tracks_.audio == media::Codec::eac3;
  write_pes(out, audio_, dolby ? 0xbd : 0xc0, frames, pts, pts, false, pcr, pcr, true);
}

void TsMuxer::write_psi(Bytes& out, Pid& pid, ByteView section) {
  const auto start = out.size();
  out.resize(start + kTsPacketSize, 0xff);
  std::uint8_t* p = out.data() + start;
  p[0] = 0x47;
  p[1] = static_cast<std::uint8_t>(0x40 | pid.id >> 8);  // payload_unit_start
  p[2] = static_cast<std::uint8_t>(pid.id);
  p[3] = static_cast<std::uint8_t>(0x10 | pid.cc);
  pid.cc = (pid.cc + 1) & 0x0f;
  p[4] = 0;  // pointer_field
  std::memcpy(p + 5, section.data(), section.size());
}

void TsMuxer::write_pes(Bytes& out, Pid& pid, std::uint8_t stream_id, ByteView payload,
                        std::uint64_t pts, std::uint64_t dts, bool with_dts, bool random_access,
                        bool pcr, bool bounded_length) {
  std::array<std::uint8_t, 19> head{};
  const std::size_t header_data = with_dts ? 10 : 5;
  const std::size_t head_size = 9 + header_data;
  head[2] = 1;
  head[3] = stream_id;
  const std::size_t pes_length = 3 + header_data + payload.size();
  if (bounded_length && pes_length <= 0xffff) {
    head[4] = static_cast<std::uint8_t>(pes_length >> 8);
    head[5] = static_cast<std::uint8_t>(pes_length);
  }
  head[6] = 0x80;  // marker bits '10'
  head[7] = with_dts ? 0xc0 : 0x80;
  head[8] = static_cast<std::uint8_t>(header_data);
  put_timestamp(&head[9], with_dts ? 3 : 2, pts);
  if (with_dts) put_timestamp(&head[14], 1, dts);

  // Reserve all packets at once: one resize per PES, then fill in place.
  const std::size_t total = head_size + payload.size();
  const std::size_t first_af = (random_access || pcr) ? 2 + (pcr ? 6 : 0) : 0;
  const std::size_t packets = 1 + (total + first_af > 184 ? (total + first_af - 184 + 183) / 184 : 0);
  std::size_t at = out.size();
  out.resize(at + packets * kTsPacketSize);

  std::size_t pos = 0;  // position in head + payload
  bool first = true;
  while (pos < total) {
    std::uint8_t* p = out.data() + at;
    at += kTsPacketSize;
    const std::size_t remaining = total - pos;
    std::size_t af = first ? first_af : 0;  // adaptation field bytes, length byte included
    if (remaining < 184 - af) af = 184 - remaining;  // stuffing fills the last packet
    p[0] = 0x47;
    p[1] = static_cast<std::uint8_t>((first ? 0x40 : 0) | pid.id >> 8);
    p[2] = static_cast<std::uint8_t>(pid.id);
    p[3] = static_cast<std::uint8_t>((af ? 0x30 : 0x10) | pid.cc);
    pid.cc = (pid.cc + 1) & 0x0f;
    if (af) {
      p[4] = static_cast<std::uint8_t>(af - 1);
      if (af > 1) {
        std::size_t i = 6;
        p[5] = 0;
        if (first && random_access) p[5] |= 0x40;
        if (first && pcr) {
          p[5] |= 0x10;
          const std::uint64_t base = dts & kTimestampMask;  // PCR = DTS: the decoder needs no more
          p[6] = static_cast<std::uint8_t>(base >> 25);
          p[7] = static_cast<std::uint8_t>(base >> 17);
          p[8] = static_cast<std::uint8_t>(base >> 9);
          p[9] = static_cast<std::uint8_t>(base >> 1);
          p[10] = static_cast<std::uint8_t>((base & 1) << 7 | 0x7e);
          p[11] = 0;
          i = 12;
        }
        std::memset(p + i, 0xff, 4 + af - i);
      }
    }
    std::size_t room = 184 - af;
    std::uint8_t* dst = p + 4 + af;
    while (room > 0) {
      std::size_t n;
      if (pos < head_size) {
        n = std::min(room, head_size - pos);
        std::memcpy(dst, head.data() + pos, n);
      } else {
        n = std::min(room, total - pos);
        std::memcpy(dst, payload.data() + (pos - head_size), n);
      }
      dst += n;
      pos += n;
      room -= n;
    }
    first = false;
  }
  out.resize(at);  // the estimate above is exact, but never leave garbage behind
}

}  // namespace liveorigin::hls
