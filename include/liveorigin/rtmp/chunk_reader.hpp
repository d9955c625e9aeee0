// Reassembles RTMP messages from a chunk stream, fed in pieces of any size.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "liveorigin/rtmp/message.hpp"

namespace liveorigin::rtmp {

class ChunkReader {
 public:
  explicit ChunkReader(Limits limits = {});

  // Consumes all of `data`, appending each message it completes. Set Chunk Size and Abort are
  // applied here (they change how the following bytes parse) and are not passed on.
  // Throws ParseError/ProtocolError; the reader is unusable afterwards.
  void feed(ByteView data, std::vector<Message>& out);

  std::uint32_t chunk_size() const { return chunk_size_; }
  void set_chunk_size(std::uint32_t size);   // validates against the limits
  void abort(std::uint32_t chunk_stream_id); // drops that chunk stream's partial message

 private:
  // What the last header on a chunk stream said; later headers inherit from it.
  struct ChunkStream {
    bool has_header = false;
    bool extended = false;         // last fmt 0/1/2 header used an extended timestamp
    bool in_message = false;       // a message is partly received
    std::uint32_t timestamp = 0;   // absolute timestamp of the current/last message
    std::uint32_t delta = 0;       // timestamp field of the last header (fmt 0: absolute)
    std::uint32_t length = 0;
    std::uint8_t type = 0;
    std::uint32_t stream_id = 0;
    Bytes body;
  };

  // Bytes of the next chunk's basic + message header + extended timestamp still missing, or 0
  // when `header_` holds a complete header.
  std::size_t header_bytes_missing() const;
  ChunkStream& stream_for(std::uint32_t csid);
  void apply_header();
  void complete_message(ChunkStream& cs, std::vector<Message>& out);
  void handle_control(const Message& m);

  Limits limits_;
  std::uint32_t chunk_size_ = kDefaultChunkSize;
  std::unordered_map<std::uint32_t, ChunkStream> streams_;
  Bytes header_;                   // partial chunk header (at most 18 bytes)
  ChunkStream* current_ = nullptr; // chunk stream whose payload we are reading, or null
  std::uint32_t current_csid_ = 0;
  std::uint32_t payload_left_ = 0; // payload bytes of the current chunk still to come
  std::uint64_t buffered_ = 0;     // bytes held in partial messages, over all chunk streams
};

}  // namespace liveorigin::rtmp
