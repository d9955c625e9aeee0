// The chunk reader's limits: each refusal is a LimitError saying which limit, so the
// server can count it by reason.
#include <gtest/gtest.h>

#include "liveorigin/rtmp/chunk_reader.hpp"

namespace liveorigin::rtmp {
namespace {

Bytes fmt0(std::uint8_t csid, std::uint8_t type, std::uint32_t length, ByteView payload = {}) {
  Bytes out{csid, 0, 0, 0, std::uint8_t(length >> 16), std::uint8_t(length >> 8), std::uint8_t(length), type,
            1, 0, 0, 0};
  for (auto b : payload) out.push_back(b);  // (insert of an empty span trips a gcc 12 false warning)
  return out;
}

Bytes set_chunk_size(std::uint32_t size) {
  const Bytes body{std::uint8_t(size >> 24), std::uint8_t(size >> 16), std::uint8_t(size >> 8), std::uint8_t(size)};
  return fmt0(2, message_type::kSetChunkSize, 4, body);
}

LimitError::Limit refusal(ChunkReader& reader, const Bytes& input) {
  std::vector<Message> out;
  try {
    reader.feed(input, out);
  } catch (const LimitError& e) {
    return e.limit;
  }
  ADD_FAILURE() << "no LimitError";
  return LimitError::Limit::buffered;
}

TEST(ChunkLimits, SetChunkSizeZeroAndHuge) {
  ChunkReader a, b;
  EXPECT_EQ(refusal(a, set_chunk_size(0)), LimitError::Limit::chunk_size);
  EXPECT_EQ(refusal(b, set_chunk_size(0x7FFFFFFF)), LimitError::Limit::chunk_size);
  ChunkReader top_bit;  // 0x80000000 | 4096: the reserved bit is ignored, 4096 is fine
  std::vector<Message> out;
  top_bit.feed(set_chunk_size(0x80001000), out);
  EXPECT_EQ(top_bit.chunk_size(), 4096u);
}

TEST(ChunkLimits, MessageSizeClaim) {
  Limits limits;
  limits.max_message_size = 1000;
  ChunkReader reader(limits);
  EXPECT_EQ(refusal(reader, fmt0(3, message_type::kVideo, 1001)), LimitError::Limit::message_size);
  ChunkReader ok(limits);
  std::vector<Message> out;
  ok.feed(fmt0(3, message_type::kVideo, 1000), out);  // at the limit: accepted
  EXPECT_TRUE(out.empty());
}

TEST(ChunkLimits, RepeatedClaimsHoldNothing) {
  // A 16 MiB claim restarted by a new header every chunk never accumulates.
  ChunkReader reader;
  std::vector<Message> out;
  const Bytes claim = fmt0(3, message_type::kVideo, 0xFFFFFF, Bytes(128, 0x17));
  for (int i = 0; i < 10000; ++i) reader.feed(claim, out);
  EXPECT_TRUE(out.empty());
}

TEST(ChunkLimits, ChunkStreamsPerConnection) {
  Limits limits;
  limits.max_chunk_streams = 8;
  ChunkReader reader(limits);
  Bytes input;
  for (std::uint8_t csid = 3; csid < 3 + 9; ++csid) {
    const auto c = fmt0(csid, message_type::kAudio, 1, Bytes(1, 0xaf));  // one whole message each
    input.insert(input.end(), c.begin(), c.end());
  }
  EXPECT_EQ(refusal(reader, input), LimitError::Limit::chunk_streams);
}

TEST(ChunkLimits, PendingBytesOverAllChunkStreams) {
  Limits limits;
  limits.max_message_size = 1 << 20;
  limits.max_buffered = 1 << 20;
  ChunkReader reader(limits);
  Bytes input = set_chunk_size(900 << 10);
  for (std::uint8_t csid : {4, 5}) {  // two partial messages (one chunk each), each under the message limit
    const auto c = fmt0(csid, message_type::kVideo, 1000 << 10, Bytes(900 << 10, 0));
    input.insert(input.end(), c.begin(), c.end());
  }
  EXPECT_EQ(refusal(reader, input), LimitError::Limit::buffered);
}

}  // namespace
}  // namespace liveorigin::rtmp
