// Chunk writer → chunk reader round trips, and the reader's handling of hostile streams.
#include <gtest/gtest.h>

#include "liveorigin/rtmp/chunk_reader.hpp"
#include "liveorigin/rtmp/chunk_writer.hpp"

namespace liveorigin::rtmp {
namespace {

Message make(std::uint32_t csid, std::uint8_t type, std::uint32_t ts, std::uint32_t sid, std::size_t size,
             std::uint8_t seed = 1) {
  Message m;
  m.chunk_stream_id = csid;
  m.type = type;
  m.timestamp = ts;
  m.stream_id = sid;
  m.body.resize(size);
  for (std::size_t i = 0; i < size; ++i) m.body[i] = static_cast<std::uint8_t>(i * 31 + seed);
  return m;
}

void expect_same(const Message& a, const Message& b) {
  EXPECT_EQ(a.chunk_stream_id, b.chunk_stream_id);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.timestamp, b.timestamp);
  EXPECT_EQ(a.stream_id, b.stream_id);
  EXPECT_EQ(a.body, b.body);
}

std::vector<Message> read_all(ByteView bytes, std::uint32_t chunk_size, bool byte_at_a_time) {
  ChunkReader reader;
  if (chunk_size != kDefaultChunkSize) reader.set_chunk_size(chunk_size);
  std::vector<Message> out;
  if (byte_at_a_time) {
    for (std::size_t i = 0; i < bytes.size(); ++i) reader.feed(bytes.subspan(i, 1), out);
  } else {
    reader.feed(bytes, out);
  }
  return out;
}

class ChunkRoundTrip : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(ChunkRoundTrip, StatelessWriterWithExtendedTimestamps) {
  const std::uint32_t chunk_size = GetParam();
  std::vector<Message> in = {
      make(4, 8, 0, 1, 0),
      make(6, 9, 40, 1, 1),
      make(6, 9, 80, 1, 127),
      make(6, 9, 0xFFFFFE, 1, 128),
      make(6, 9, 0xFFFFFF, 1, 129),
      make(6, 9, 0x12345678, 1, 100000),
      make(5, 18, 0xFFFFFFFF, 1, 60001),
      make(64, 20, 7, 0, 300),
      make(319, 20, 7, 0, 300),
      make(320, 20, 7, 0, 300),
      make(65599, 20, 7, 0xDEADBEEF, 300),
  };
  Bytes wire;
  for (const auto& m : in) write_message(wire, m, chunk_size);
  for (bool byte_at_a_time : {false, true}) {
    const auto out = read_all(wire, chunk_size, byte_at_a_time);
    ASSERT_EQ(out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) expect_same(out[i], in[i]);
  }
}

TEST_P(ChunkRoundTrip, CompressingWriterUsesFmt123) {
  const std::uint32_t chunk_size = GetParam();
  ChunkWriter writer(chunk_size);
  std::vector<Message> in;
  // Constant delta and size → fmt 3; new delta → fmt 2; new size → fmt 1; delta ≥ 0xFFFFFF → extended.
  std::uint32_t ts = 1000;
  for (int i = 0; i < 5; ++i) in.push_back(make(6, 9, ts += 33, 1, 500, std::uint8_t(i)));
  in.push_back(make(6, 9, ts += 40, 1, 500));
  in.push_back(make(6, 9, ts += 40, 1, 70000));
  in.push_back(make(6, 9, ts += 0x1000000, 1, 70000));
  in.push_back(make(6, 9, ts += 0x1000000, 1, 70000));  // fmt 3 inheriting an extended delta
  in.push_back(make(6, 9, ts += 5, 1, 10));
  in.push_back(make(6, 9, ts - 100, 1, 10));  // backwards: fmt 0
  in.push_back(make(6, 9, ts, 2, 10));        // another stream id: fmt 0

  Bytes wire;
  std::vector<std::uint8_t> fmts;
  for (const auto& m : in) {
    fmts.push_back(std::uint8_t(wire.size()));  // placeholder, replaced below
    const std::size_t start = wire.size();
    writer.write(wire, m);
    fmts.back() = wire[start] >> 6;
  }
  EXPECT_EQ(fmts, (std::vector<std::uint8_t>{0, 2, 3, 3, 3, 2, 1, 2, 3, 1, 0, 0}));
  for (bool byte_at_a_time : {false, true}) {
    const auto out = read_all(wire, chunk_size, byte_at_a_time);
    ASSERT_EQ(out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) expect_same(out[i], in[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(ChunkSizes, ChunkRoundTrip, ::testing::Values(128u, 60000u, 1u));

TEST(ChunkReader, InterleavedChunkStreams) {
  const Message a = make(4, 8, 10, 1, 300, 3), b = make(6, 9, 20, 1, 300, 7);
  Bytes wa, wb;
  write_message(wa, a, 128);
  write_message(wb, b, 128);
  // Each is 12+128, 1+128, 1+44 bytes: interleave chunk by chunk.
  const std::size_t cuts[] = {0, 140, 269, 314};
  ASSERT_EQ(wa.size(), 314u);
  Bytes wire;
  for (int i = 0; i < 3; ++i) {
    wire.insert(wire.end(), wa.begin() + cuts[i], wa.begin() + cuts[i + 1]);
    wire.insert(wire.end(), wb.begin() + cuts[i], wb.begin() + cuts[i + 1]);
  }
  for (bool byte_at_a_time : {false, true}) {
    const auto out = read_all(wire, 128, byte_at_a_time);
    ASSERT_EQ(out.size(), 2u);
    expect_same(out[0], a);  // a's last chunk comes first
    expect_same(out[1], b);
  }
}

Bytes control(std::uint8_t type, std::uint32_t value) {
  Message m = make(2, type, 0, 0, 0);
  ByteWriter(m.body).u32be(value);
  Bytes wire;
  write_message(wire, m, 128);
  return wire;
}

TEST(ChunkReader, SetChunkSizeAppliesToFollowingChunks) {
  const Message big = make(6, 9, 5, 1, 10000);
  Bytes wire = control(1, 0x80001000);  // top bit must be ignored → 4096
  write_message(wire, big, 4096);
  ChunkReader reader;
  std::vector<Message> out;
  reader.feed(wire, out);
  EXPECT_EQ(reader.chunk_size(), 4096u);
  ASSERT_EQ(out.size(), 1u);  // Set Chunk Size itself is consumed
  expect_same(out[0], big);
}

TEST(ChunkReader, InvalidChunkSizesAreRejected) {
  for (std::uint32_t bad : {0u, 0x80000000u, (16u << 20) + 1}) {
    ChunkReader reader;
    std::vector<Message> out;
    EXPECT_THROW(reader.feed(control(1, bad), out), ProtocolError) << bad;
  }
}

TEST(ChunkReader, AbortDropsPartialMessage) {
  const Message partial = make(4, 8, 1, 1, 300), next = make(4, 8, 2, 1, 50);
  Bytes wa;
  write_message(wa, partial, 128);
  Bytes wire(wa.begin(), wa.begin() + 140);  // first chunk only
  const Bytes abort = control(2, 4);
  wire.insert(wire.end(), abort.begin(), abort.end());
  write_message(wire, next, 128);
  ChunkReader reader;
  std::vector<Message> out;
  reader.feed(wire, out);
  ASSERT_EQ(out.size(), 1u);
  expect_same(out[0], next);
}

TEST(ChunkReader, Fmt3WithoutHeaderIsAnError) {
  ChunkReader reader;
  std::vector<Message> out;
  const Bytes fmt3 = {0xC4, 0x01};
  EXPECT_THROW(reader.feed(fmt3, out), ProtocolError);
  ChunkReader reader2;
  const Bytes fmt2 = {0x84, 0, 0, 1, 0x01};
  EXPECT_THROW(reader2.feed(fmt2, out), ProtocolError);
}

TEST(ChunkReader, OversizedMessageIsRejected) {
  Limits limits;
  limits.max_message_size = 1000;
  ChunkReader reader(limits);
  Bytes wire;
  write_message(wire, make(4, 8, 0, 1, 1001), 128);
  std::vector<Message> out;
  EXPECT_THROW(reader.feed(ByteView(wire).first(12), out), ProtocolError);
}

TEST(ChunkReader, PartialMessagesAreCappedInTotal) {
  Limits limits;
  limits.max_message_size = 1000;
  ChunkReader reader(limits);
  reader.set_chunk_size(900);
  std::vector<Message> out;
  Bytes wire;
  for (std::uint32_t csid = 3; csid < 6; ++csid) {
    Bytes one;
    write_message(one, make(csid, 8, 0, 1, 1000), 900);
    wire.insert(wire.end(), one.begin(), one.begin() + 12 + 900);  // first chunk only
  }
  EXPECT_THROW(reader.feed(wire, out), ProtocolError);
}

TEST(ChunkReader, TooManyChunkStreamsIsRejected) {
  Limits limits;
  limits.max_chunk_streams = 3;
  ChunkReader reader(limits);
  std::vector<Message> out;
  Bytes wire;
  for (std::uint32_t csid = 3; csid < 6; ++csid) write_message(wire, make(csid, 8, 0, 1, 4), 128);
  reader.feed(wire, out);
  EXPECT_EQ(out.size(), 3u);
  wire.clear();
  write_message(wire, make(3, 8, 0, 1, 4), 128);  // known one: fine
  reader.feed(wire, out);
  wire.clear();
  write_message(wire, make(9, 8, 0, 1, 4), 128);
  EXPECT_THROW(reader.feed(wire, out), ProtocolError);
}

TEST(ChunkWriter, ChunkMessageUsesMediaChunkStreams) {
  for (auto [type, csid] : {std::pair{media::MediaType::audio, 4u}, std::pair{media::MediaType::video, 6u},
                            std::pair{media::MediaType::data, 5u}}) {
    media::Packet p;
    p.type = type;
    p.timestamp = 0x1000000;
    Bytes body(70000, 0xAB);
    p.flv_tag.assign(11, 0);
    p.flv_tag.insert(p.flv_tag.end(), body.begin(), body.end());
    p.flv_tag.insert(p.flv_tag.end(), 4, 0);
    const Bytes wire = chunk_message(p, 1, 60000);
    EXPECT_EQ(wire[0] & 0x3F, int(csid));
    const auto out = read_all(wire, 60000, false);
    ASSERT_EQ(out.size(), 1u);
    expect_same(out[0], Message{csid, std::uint8_t(type), 0x1000000, 1, body});
    // Continuation chunk repeats the extended timestamp: 1 + 4 bytes after 12 + 4 + 60000.
    EXPECT_EQ(wire[16 + 60000], 0xC0 | csid);
    EXPECT_EQ(wire.size(), 16u + 60000 + 5 + 10000);
  }
}

TEST(ChunkReader, RandomGarbageNeverCrashes) {
  std::uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245 + 12345, std::uint8_t(seed >> 16); };
  for (int round = 0; round < 300; ++round) {
    Limits limits;
    limits.max_message_size = 1 << 16;
    ChunkReader reader(limits);
    std::vector<Message> out;
    Bytes junk(2000);
    for (auto& b : junk) b = next();
    try {
      reader.feed(junk, out);
    } catch (const ParseError&) {
    } catch (const ProtocolError&) {
    }
  }
}

}  // namespace
}  // namespace liveorigin::rtmp
