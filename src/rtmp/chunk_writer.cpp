#include "liveorigin/rtmp/chunk_writer.hpp"

#include <algorithm>

namespace liveorigin::rtmp {

namespace {

constexpr std::uint32_t kExtendedMarker = 0xFFFFFF;

void write_basic_header(ByteWriter& w, std::uint8_t fmt, std::uint32_t csid) {
  if (csid >= 2 && csid <= 63) {
    w.u8(static_cast<std::uint8_t>(fmt << 6 | csid));
  } else if (csid >= 64 && csid <= 319) {
    w.u8(static_cast<std::uint8_t>(fmt << 6));
    w.u8(static_cast<std::uint8_t>(csid - 64));
  } else {
    w.u8(static_cast<std::uint8_t>(fmt << 6 | 1));
    w.u8(static_cast<std::uint8_t>((csid - 64) & 0xFF));
    w.u8(static_cast<std::uint8_t>((csid - 64) >> 8));
  }
}

// Writes a message with the given first-chunk format. `ts_field` is the absolute timestamp for
// fmt 0 and the delta otherwise; when it needs the extended field, every chunk repeats it (as
// ffmpeg and FMS expect). For fmt 3, `extended` says whether the inherited header had one.
struct ChunkHeader {
  std::uint8_t fmt;
  std::uint32_t csid;
  std::uint8_t type;
  std::uint32_t stream_id;
  std::uint32_t ts_field;
  bool extended;
};

void write_chunks(Bytes& out, ChunkHeader h, ByteView body, std::uint32_t chunk_size) {
  chunk_size = std::max<std::uint32_t>(chunk_size, 1);
  out.reserve(out.size() + body.size() + 18 + body.size() / chunk_size * 5);
  ByteWriter w(out);
  if (h.fmt < 3) h.extended = h.ts_field >= kExtendedMarker;
  write_basic_header(w, h.fmt, h.csid);
  if (h.fmt < 3) w.u24be(h.extended ? kExtendedMarker : h.ts_field);
  if (h.fmt <= 1) {
    w.u24be(static_cast<std::uint32_t>(body.size()));
    w.u8(h.type);
  }
  if (h.fmt == 0) w.u32le(h.stream_id);
  if (h.extended) w.u32be(h.ts_field);
  for (std::size_t pos = 0;;) {
    const std::size_t n = std::min<std::size_t>(chunk_size, body.size() - pos);
    w.bytes(body.subspan(pos, n));
    pos += n;
    if (pos >= body.size()) break;
    write_basic_header(w, 3, h.csid);
    if (h.extended) w.u32be(h.ts_field);
  }
}

}  // namespace

void write_message(Bytes& out, const Message& m, std::uint32_t chunk_size) {
  write_chunks(out, {0, m.chunk_stream_id, m.type, m.stream_id, m.timestamp, false}, m.body, chunk_size);
}

std::uint32_t chunk_stream_for(media::MediaType type) {
  switch (type) {
    case media::MediaType::audio: return chunk_stream::kAudio;
    case media::MediaType::video: return chunk_stream::kVideo;
    default: return chunk_stream::kData;
  }
}

Bytes chunk_message(const media::Packet& packet, std::uint32_t stream_id, std::uint32_t chunk_size) {
  ByteView body = packet.flv_tag.size() >= 15 ? packet.body() : ByteView{};
  Bytes out;
  write_chunks(out, {0, chunk_stream_for(packet.type), static_cast<std::uint8_t>(packet.type), stream_id,
                     packet.timestamp, false},
               body, chunk_size);
  return out;
}

void ChunkWriter::write(Bytes& out, const Message& m) {
  const auto length = static_cast<std::uint32_t>(m.body.size());
  auto it = last_.find(m.chunk_stream_id);
  std::uint8_t fmt = 0;
  std::uint32_t ts_field = m.timestamp;
  if (it != last_.end() && it->second.stream_id == m.stream_id && m.timestamp >= it->second.timestamp) {
    const Last& last = it->second;
    const std::uint32_t delta = m.timestamp - last.timestamp;
    ts_field = delta;
    if (last.length != length || last.type != m.type) fmt = 1;
    else if (delta != last.delta) fmt = 2;
    else fmt = 3;
  }
  Last& last = last_[m.chunk_stream_id];
  const bool inherited_extended = last.extended;
  write_chunks(out, {fmt, m.chunk_stream_id, m.type, m.stream_id, ts_field, inherited_extended}, m.body,
               chunk_size_);
  if (fmt < 3) {
    last.delta = ts_field;
    last.extended = ts_field >= kExtendedMarker;
  }
  last.timestamp = m.timestamp;
  last.length = length;
  last.type = m.type;
  last.stream_id = m.stream_id;
}

}  // namespace liveorigin::rtmp
