// Splits RTMP messages into chunks.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "liveorigin/media/packet.hpp"
#include "liveorigin/rtmp/message.hpp"

namespace liveorigin::rtmp {

// Appends one message as chunks: a fmt 0 header with the absolute timestamp, then fmt 3
// continuation chunks. Stateless, so its output can be shared between connections.
void write_message(Bytes& out, const Message& m, std::uint32_t chunk_size);

// One media packet as chunks on chunk stream 4 (audio), 6 (video) or 5 (data). Pure; used to
// serialise a packet once and share it between all RTMP players.
Bytes chunk_message(const media::Packet& packet, std::uint32_t stream_id, std::uint32_t chunk_size);

// Chunk stream id we send a media type on.
std::uint32_t chunk_stream_for(media::MediaType type);

// A writer that remembers the last header per chunk stream and compresses headers with fmt 1/2/3
// when it can (as a publishing client would). Its output depends on what it wrote before.
class ChunkWriter {
 public:
  explicit ChunkWriter(std::uint32_t chunk_size = kDefaultChunkSize) : chunk_size_(chunk_size) {}
  void set_chunk_size(std::uint32_t size) { chunk_size_ = size; }
  std::uint32_t chunk_size() const { return chunk_size_; }
  void write(Bytes& out, const Message& m);

 private:
  struct Last {
    std::uint32_t timestamp = 0;
    std::uint32_t delta = 0;  // timestamp field of the last header (what fmt 3 repeats)
    std::uint32_t length = 0;
    std::uint8_t type = 0;
    std::uint32_t stream_id = 0;
    bool extended = false;
  };
  std::uint32_t chunk_size_;
  std::unordered_map<std::uint32_t, Last> last_;
};

}  // namespace liveorigin::rtmp
