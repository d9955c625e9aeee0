#include "liveorigin/media/flv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace liveorigin::media {
namespace {

// A small FLV file as the recorder writes it: file header, then make_packet's tags.
struct Sample {
  Bytes file;
  std::vector<PacketPtr> packets;
};

Sample sample_file() {
  Sample s;
  s.file = flv_file_header(true, true);
  s.packets = {
      make_packet(MediaType::data, 0, Bytes{0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a'}),
      make_packet(MediaType::video, 0, Bytes{0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64}),
      make_packet(MediaType::audio, 0, Bytes{0xaf, 0x00, 0x12, 0x10}),
      make_packet(MediaType::video, 33, Bytes{0x27, 0x01, 0x00, 0x00, 0x21, 0xde, 0xad}),
      make_packet(MediaType::audio, 0x01020304, Bytes{}),  // empty body, extended timestamp
      make_packet(MediaType::video, 0xfffffff0, Bytes(70000, 0x5a)),
  };
  for (const auto& p : s.packets) s.file.insert(s.file.end(), p->flv_tag.begin(), p->flv_tag.end());
  return s;
}

void expect_tag(const std::optional<FlvTag>& tag, const Packet& p) {
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(tag->type, p.type);
  EXPECT_EQ(tag->timestamp, p.timestamp);
  const ByteView want = p.body();
  EXPECT_EQ(Bytes(tag->body.begin(), tag->body.end()), Bytes(want.begin(), want.end()));
}

TEST(FlvTest, FileHeader) {
  EXPECT_EQ(flv_file_header(true, true),
            (Bytes{'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0}));
  EXPECT_EQ(flv_file_header(true, false)[4], 0x04);
  EXPECT_EQ(flv_file_header(false, true)[4], 0x01);
  EXPECT_EQ(flv_file_header(false, false)[4], 0x00);
  EXPECT_EQ(flv_file_header(false, false).size(), 13u);
}

TEST(FlvTest, ReadsWholeFile) {
  const Sample s = sample_file();
  FlvReader reader;
  reader.feed(s.file);
  // Views from several next() calls stay valid together until the next feed().
  std::vector<FlvTag> tags;
  while (auto tag = reader.next()) tags.push_back(*tag);
  ASSERT_EQ(tags.size(), s.packets.size());
  for (std::size_t i = 0; i < tags.size(); ++i) expect_tag(tags[i], *s.packets[i]);
  ASSERT_TRUE(reader.header());
  EXPECT_TRUE(reader.header()->has_audio);
  EXPECT_TRUE(reader.header()->has_video);
  EXPECT_EQ(reader.consumed(), s.file.size());
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_FALSE(reader.next());
}

TEST(FlvTest, SplitFeedsOfEverySize) {
  const Sample s = sample_file();
  for (std::size_t chunk : {1, 2, 3, 7, 11, 13, 15, 100, 4096}) {
    SCOPED_TRACE(chunk);
    FlvReader reader;
    std::size_t seen = 0;
    for (std::size_t off = 0; off < s.file.size(); off += chunk) {
      reader.feed(ByteView(s.file).subspan(off, std::min(chunk, s.file.size() - off)));
      while (auto tag = reader.next()) {
        ASSERT_LT(seen, s.packets.size());
        expect_tag(tag, *s.packets[seen++]);
      }
    }
    EXPECT_EQ(seen, s.packets.size());
    EXPECT_EQ(reader.consumed(), s.file.size());
  }
}

TEST(FlvTest, PartialTagWaitsAndConsumedMarksTagBoundary) {
  const Sample s = sample_file();
  FlvReader reader;
  const std::size_t first_two = 13 + s.packets[0]->flv_tag.size() + s.packets[1]->flv_tag.size();
  // Everything but the last byte of the second tag's PreviousTagSize.
  reader.feed(ByteView(s.file).first(first_two - 1));
  ASSERT_TRUE(reader.next());
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.consumed(), 13 + s.packets[0]->flv_tag.size());
  EXPECT_EQ(reader.buffered(), s.packets[1]->flv_tag.size() - 1);
  reader.feed(ByteView(s.file).subspan(first_two - 1, 1));
  expect_tag(reader.next(), *s.packets[1]);
  EXPECT_EQ(reader.consumed(), first_two);
}

TEST(FlvTest, HeaderNeedsItsPreviousTagSize) {
  FlvReader reader;
  reader.feed(ByteView(flv_file_header(false, true)).first(12));
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.header());
  reader.feed(Bytes{0});
  EXPECT_FALSE(reader.next());
  ASSERT_TRUE(reader.header());
  EXPECT_FALSE(reader.header()->has_audio);
  EXPECT_TRUE(reader.header()->has_video);
  EXPECT_EQ(reader.consumed(), 13u);
}

TEST(FlvTest, LongerFileHeaderIsSkipped) {
  Bytes file{'F', 'L', 'V', 1, 0x01, 0, 0, 0, 12, 0xaa, 0xbb, 0xcc, 0, 0, 0, 0};
  const auto p = make_packet(MediaType::video, 7, Bytes{0x17, 0x01, 0, 0, 0});
  file.insert(file.end(), p->flv_tag.begin(), p->flv_tag.end());
  FlvReader reader;
  reader.feed(file);
  expect_tag(reader.next(), *p);
}

TEST(FlvTest, BareTagStream) {
  const Sample s = sample_file();
  FlvReader reader(false);
  reader.feed(ByteView(s.file).subspan(13));
  for (const auto& p : s.packets) expect_tag(reader.next(), *p);
  EXPECT_FALSE(reader.header());
}

TEST(FlvTest, EncryptionFilterBitIsIgnoredInType) {
  auto p = make_packet(MediaType::audio, 1, Bytes{0xaf, 0x01, 0x00});
  Bytes tag = p->flv_tag;
  tag[0] |= 0x20;
  FlvReader reader(false);
  reader.feed(tag);
  expect_tag(reader.next(), *p);
}

TEST(FlvTest, RejectsNonFlvEarly) {
  FlvReader reader;
  reader.feed(Bytes{'F', 'L'});
  EXPECT_FALSE(reader.next());
  reader.feed(Bytes{'X'});
  EXPECT_THROW(reader.next(), ParseError);

  FlvReader http;
  http.feed(Bytes{'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '2', '0', '0'});
  EXPECT_THROW(http.next(), ParseError);
}

TEST(FlvTest, RejectsBadHeaderSize) {
  for (std::uint8_t size : {0, 8}) {
    FlvReader reader;
    reader.feed(Bytes{'F', 'L', 'V', 1, 5, 0, 0, 0, size, 0, 0, 0, 0});
    EXPECT_THROW(reader.next(), ParseError);
  }
  FlvReader huge;
  huge.feed(Bytes{'F', 'L', 'V', 1, 5, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0});
  EXPECT_THROW(huge.next(), ParseError);
}

TEST(FlvTest, RejectsUnknownTagType) {
  FlvReader reader;
  reader.feed(flv_file_header(true, true));
  reader.feed(Bytes{0x07, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 12});
  EXPECT_THROW(reader.next(), ParseError);
}

TEST(FlvTest, RejectsOversizedTagBeforeBuffering) {
  // The 24-bit size field tops out at 16 MiB, under the default limit: such a tag is awaited.
  FlvReader reader(false);
  reader.feed(Bytes{0x09, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.buffered(), 11u);
  // With a caller's limit it fails as soon as the tag header is in, without buffering the body.
  FlvReader strict(false, 1 << 20);
  strict.feed(Bytes{0x09, 0x10, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_THROW(strict.next(), ParseError);
  FlvReader ok(false, 1 << 20);
  ok.feed(Bytes{0x09, 0x10, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_FALSE(ok.next());
}

TEST(FlvTest, TruncatedFileYieldsWholeTagsOnly) {
  const Sample s = sample_file();
  for (std::size_t cut = 0; cut < s.file.size(); cut += 97) {
    FlvReader reader;
    reader.feed(ByteView(s.file).first(cut));
    std::size_t n = 0;
    while (reader.next()) ++n;
    EXPECT_LE(reader.consumed(), cut);
    EXPECT_EQ(reader.consumed() + reader.buffered(), cut);
    EXPECT_LT(n, s.packets.size());
  }
}

}  // namespace
}  // namespace liveorigin::media
