#include "liveorigin/rtmp/chunk_reader.hpp"

#include <algorithm>
#include <string>

namespace liveorigin::rtmp {

namespace {

constexpr std::uint32_t kExtendedMarker = 0xFFFFFF;
constexpr std::size_t kMessageHeaderSize[4] = {11, 7, 3, 0};

std::size_t basic_header_size(std::uint8_t first) {
  switch (first & 0x3F) {
    case 0: return 2;
    case 1: return 3;
    default: return 1;
  }
}

// From a complete basic header; the 3-byte form is little-endian.
std::uint32_t chunk_stream_id(const Bytes& h) {
  switch (h[0] & 0x3F) {
    case 0: return 64 + h[1];
    case 1: return 64 + h[1] + h[2] * 256u;
    default: return h[0] & 0x3F;
  }
}

}  // namespace

ChunkReader::ChunkReader(Limits limits) : limits_(limits) { header_.reserve(18); }

void ChunkReader::set_chunk_size(std::uint32_t size) {
  size &= 0x7FFFFFFF;  // the top bit is reserved and must be ignored
  if (size == 0 || size > limits_.max_chunk_size)
    throw LimitError(LimitError::Limit::chunk_size, "rtmp: invalid chunk size " + std::to_string(size));
  chunk_size_ = size;
}

void ChunkReader::abort(std::uint32_t csid) {
  auto it = streams_.find(csid);
  if (it == streams_.end()) return;
  if (current_ == &it->second) return;  // cannot happen between chunks; be safe anyway
  buffered_ -= it->second.body.size();
  it->second.in_message = false;
  it->second.body = Bytes{};
}

std::size_t ChunkReader::header_bytes_missing() const {
  if (header_.empty()) return 1;
  const std::size_t size = header_.size();
  const std::uint8_t fmt = header_[0] >> 6;
  const std::size_t basic = basic_header_size(header_[0]);
  if (size < basic) return basic - size;
  std::size_t total = basic + kMessageHeaderSize[fmt];
  if (size < total) return total - size;
  bool extended;
  if (fmt < 3) {
    std::uint32_t ts = std::uint32_t(header_[basic]) << 16 | header_[basic + 1] << 8 | header_[basic + 2];
    extended = ts == kExtendedMarker;
  } else {
    auto it = streams_.find(chunk_stream_id(header_));
    extended = it != streams_.end() && it->second.extended;
  }
  if (extended) total += 4;
  return total > size ? total - size : 0;
}

ChunkReader::ChunkStream& ChunkReader::stream_for(std::uint32_t csid) {
  auto it = streams_.find(csid);
  if (it != streams_.end()) return it->second;
  if (streams_.size() >= limits_.max_chunk_streams)
    throw LimitError(LimitError::Limit::chunk_streams,
                     "rtmp: more than " + std::to_string(limits_.max_chunk_streams) + " chunk streams");
  return streams_[csid];
}

void ChunkReader::apply_header() {
  ByteReader r(header_);
  const std::uint8_t first = r.u8();
  const std::uint8_t fmt = first >> 6;
  const std::uint32_t csid = chunk_stream_id(header_);
  r.skip(basic_header_size(first) - 1);

  ChunkStream& cs = stream_for(csid);
  const bool continuation = fmt == 3 && cs.in_message;
  if (!continuation) {
    if (fmt >= 2 && !cs.has_header)
      throw ProtocolError("rtmp: chunk stream " + std::to_string(csid) + " starts without a full header");
    if (fmt < 3) {
      std::uint32_t ts_field = r.u24be();
      if (fmt <= 1) {
        cs.length = r.u24be();
        cs.type = r.u8();
      }
      if (fmt == 0) cs.stream_id = r.u32le();
      cs.extended = ts_field == kExtendedMarker;
      if (cs.extended) ts_field = r.u32be();
      cs.delta = ts_field;
      cs.timestamp = fmt == 0 ? ts_field : cs.timestamp + ts_field;
      cs.has_header = true;
    } else {
      cs.timestamp += cs.delta;  // fmt 3 starting a message repeats the last delta
    }
    if (cs.length > limits_.max_message_size)
      throw LimitError(LimitError::Limit::message_size,
                       "rtmp: message of " + std::to_string(cs.length) + " bytes exceeds the limit");
    cs.in_message = true;  // a fmt 0/1/2 header mid-message drops the partial one (spec violation)
    buffered_ -= cs.body.size();
    cs.body.clear();
  }
  // The extended timestamp in fmt 3 chunks (when present) repeats the header's; nothing to do.
  current_ = &cs;
  current_csid_ = csid;
  payload_left_ = std::min<std::uint32_t>(chunk_size_, cs.length - static_cast<std::uint32_t>(cs.body.size()));
}

void ChunkReader::complete_message(ChunkStream& cs, std::vector<Message>& out) {
  Message m;
  m.chunk_stream_id = current_csid_;
  m.type = cs.type;
  m.timestamp = cs.timestamp;
  m.stream_id = cs.stream_id;
  buffered_ -= cs.body.size();
  m.body = std::move(cs.body);
  cs.body = Bytes{};
  cs.in_message = false;
  if (m.type == message_type::kSetChunkSize || m.type == message_type::kAbort) {
    handle_control(m);
    return;
  }
  out.push_back(std::move(m));
}

void ChunkReader::handle_control(const Message& m) {
  ByteReader r(m.body);
  if (m.type == message_type::kSetChunkSize) set_chunk_size(r.u32be());
  else abort(r.u32be());
}

void ChunkReader::feed(ByteView data, std::vector<Message>& out) {
  std::size_t pos = 0;
  for (;;) {
    if (current_) {
      const std::size_t n = std::min<std::size_t>(payload_left_, data.size() - pos);
      current_->body.insert(current_->body.end(), data.begin() + pos, data.begin() + pos + n);
      pos += n;
      payload_left_ -= static_cast<std::uint32_t>(n);
      // Interleaved partial messages may each be below the limit yet add up: cap their sum too.
      buffered_ += n;
      if (buffered_ > std::min<std::uint64_t>(limits_.max_buffered, 2ull * limits_.max_message_size))
        throw LimitError(LimitError::Limit::buffered, "rtmp: more than " + std::to_string(limits_.max_buffered) +
                                                          " bytes in partial messages");
      if (payload_left_ > 0) return;  // input exhausted mid-chunk
      ChunkStream& cs = *current_;
      current_ = nullptr;
      if (cs.body.size() == cs.length) complete_message(cs, out);
      continue;
    }
    if (pos == data.size()) return;
    const std::size_t n = std::min(header_bytes_missing(), data.size() - pos);
    header_.insert(header_.end(), data.begin() + pos, data.begin() + pos + n);
    pos += n;
    if (header_bytes_missing() == 0) {
      apply_header();
      header_.clear();
    }
  }
}

}  // namespace liveorigin::rtmp
