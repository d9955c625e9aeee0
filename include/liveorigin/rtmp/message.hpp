// RTMP message-level vocabulary shared by the chunk reader, chunk writer and sessions.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "liveorigin/common/bytes.hpp"

namespace liveorigin::rtmp {

// Chunk size we announce and send with once the connection is accepted.
inline constexpr std::uint32_t kOutChunkSize = 60000;
// Chunk size both directions start with (RTMP spec 5.4.1).
inline constexpr std::uint32_t kDefaultChunkSize = 128;

struct Limits {
  std::uint32_t max_message_size = 16u << 20;   // a message header claiming more → ProtocolError
  std::uint32_t max_chunk_size = 16u << 20;     // Set Chunk Size 0 or above this → ProtocolError
  std::size_t max_chunk_streams = 64;           // distinct chunk stream ids per connection
  std::uint64_t max_buffered = 32u << 20;       // bytes in partial messages, all chunk streams together
};

// The peer broke the protocol (as opposed to ParseError: bytes that do not parse).
struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The peer went past one of the Limits: the caller counts refusals by which one.
struct LimitError : ProtocolError {
  enum class Limit { message_size, chunk_size, chunk_streams, buffered };
  LimitError(Limit limit, const std::string& what) : ProtocolError(what), limit(limit) {}
  Limit limit;
};

// Message type ids (RTMP spec 5.4 and 7.1).
namespace message_type {
inline constexpr std::uint8_t kSetChunkSize = 1;
inline constexpr std::uint8_t kAbort = 2;
inline constexpr std::uint8_t kAcknowledgement = 3;
inline constexpr std::uint8_t kUserControl = 4;
inline constexpr std::uint8_t kWindowAckSize = 5;
inline constexpr std::uint8_t kSetPeerBandwidth = 6;
inline constexpr std::uint8_t kAudio = 8;
inline constexpr std::uint8_t kVideo = 9;
inline constexpr std::uint8_t kDataAmf3 = 15;
inline constexpr std::uint8_t kSharedObjectAmf3 = 16;
inline constexpr std::uint8_t kCommandAmf3 = 17;
inline constexpr std::uint8_t kDataAmf0 = 18;
inline constexpr std::uint8_t kSharedObjectAmf0 = 19;
inline constexpr std::uint8_t kCommandAmf0 = 20;
inline constexpr std::uint8_t kAggregate = 22;
}  // namespace message_type

// User Control event types (RTMP spec 7.1.7).
namespace user_control {
inline constexpr std::uint16_t kStreamBegin = 0;
inline constexpr std::uint16_t kStreamEof = 1;
inline constexpr std::uint16_t kStreamDry = 2;
inline constexpr std::uint16_t kSetBufferLength = 3;
inline constexpr std::uint16_t kStreamIsRecorded = 4;
inline constexpr std::uint16_t kPingRequest = 6;
inline constexpr std::uint16_t kPingResponse = 7;
}  // namespace user_control

// Chunk stream ids we send on.
namespace chunk_stream {
inline constexpr std::uint32_t kControl = 2;   // protocol control and user control
inline constexpr std::uint32_t kCommand = 3;   // command messages and their replies
inline constexpr std::uint32_t kAudio = 4;
inline constexpr std::uint32_t kData = 5;
inline constexpr std::uint32_t kVideo = 6;
}  // namespace chunk_stream

// One complete RTMP message, reassembled from its chunks.
struct Message {
  std::uint32_t chunk_stream_id = 0;
  std::uint8_t type = 0;
  std::uint32_t timestamp = 0;   // absolute, ms (deltas resolved)
  std::uint32_t stream_id = 0;   // message stream id
  Bytes body;
};

}  // namespace liveorigin::rtmp
