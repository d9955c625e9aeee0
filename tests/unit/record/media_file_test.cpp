#include "liveorigin/record/media_file.hpp"

#include <gtest/gtest.h>

#include "liveorigin/media/amf0.hpp"
#include "liveorigin/media/flv.hpp"
#include "record_packets.hpp"

namespace liveorigin::record {
namespace {

namespace fs = std::filesystem;
using namespace testing;

struct Tag {
  media::MediaType type;
  std::uint32_t ts;
  std::size_t size;
};

std::vector<Tag> read_tags(const Bytes& file) {
  media::FlvReader reader;
  reader.feed(file);
  std::vector<Tag> out;
  while (auto t = reader.next()) out.push_back({t->type, t->timestamp, t->body.size()});
  return out;
}

class MediaFileTest : public ScratchDir {};

TEST_F(MediaFileTest, FlvStartsWithItsHeadersAndKeepsTheGivenTimestamps) {
  const auto part = (dir / "a.flv.part").string();
  FileStart start{metadata(), video_header(), audio_header(), nullptr, true, true, nullptr, {}};
  auto w = open_flv_writer(part, start);
  w->write(*video(50000, true), 0);
  w->write(*audio(50010), 10);
  w->write(*video(50040, false), 40);
  w->finish();
  const auto tags = read_tags(read_file(part));
  ASSERT_EQ(tags.size(), 6u);
  EXPECT_EQ(tags[0].type, media::MediaType::data);
  EXPECT_EQ(tags[1].type, media::MediaType::video);
  EXPECT_EQ(tags[2].type, media::MediaType::audio);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(tags[i].ts, 0u);
  EXPECT_EQ(tags[4].ts, 10u);
  EXPECT_EQ(tags[5].ts, 40u);
  EXPECT_EQ(tags[5].size, 100u);
  EXPECT_THROW(open_flv_writer(part, start), RecordError);  // never overwrites
}

TEST_F(MediaFileTest, RecoveredFlvIsCutAfterItsLastWholeTag) {
  const auto part = (dir / "a.flv.part").string();
  const auto final_path = (dir / "a.flv").string();
  FileStart start{metadata(), video_header(), nullptr, nullptr, false, true, nullptr, {}};
  auto w = open_flv_writer(part, start);
  for (std::uint32_t t = 0; t <= 4000; t += 40) w->write(*video(t, t % 2000 == 0, 500), t);
  w->flush();
  const auto full = fs::file_size(part);
  w.reset();  // as a crash leaves it
  fs::resize_file(part, full - 123);  // the last tag cut in the middle
  const auto landed = land_file(part, final_path, Format::flv);
  ASSERT_TRUE(landed);
  EXPECT_FALSE(fs::exists(part));
  const auto tags = read_tags(read_file(final_path));
  EXPECT_EQ(fs::file_size(final_path), landed->size);
  EXPECT_EQ(tags.back().ts, 3960u);
  EXPECT_DOUBLE_EQ(landed->duration_s, 3.96);
  // Every byte of the landed file is whole tags.
  media::FlvReader reader;
  reader.feed(read_file(final_path));
  while (reader.next()) {
  }
  EXPECT_EQ(reader.consumed(), landed->size);
}

// The publisher's onMetaData says 100 s for its whole stream; the landed file says its own length.
TEST_F(MediaFileTest, LandedFlvMetadataStatesTheFilesOwnDurationAndSize) {
  namespace amf0 = media::amf0;
  Bytes body;
  amf0::encode_all(body, {amf0::Value::make_string("onMetaData"),
                          // A string value "duration" right before a key looks like the key's bytes.
                          amf0::Value::make_ecma_array({{"title", amf0::Value::make_string("duration")},
                                                        {"duration", amf0::Value::make_number(100)},
                                                        {"width", amf0::Value::make_number(640)},
                                                        {"filesize", amf0::Value::make_number(1e9)}})});
  const auto part = (dir / "m.flv.part").string();
  const auto final_path = (dir / "m.flv").string();
  FileStart start{media::make_packet(media::MediaType::data, 0, body), video_header(), nullptr, nullptr, false, true, nullptr, {}};
  auto w = open_flv_writer(part, start);
  for (std::uint32_t t = 0; t <= 2000; t += 40) w->write(*video(t, t == 0, 300), t);
  w->finish();
  const auto landed = land_file(part, final_path, Format::flv);
  ASSERT_TRUE(landed);
  media::FlvReader reader;
  reader.feed(read_file(final_path));
  const auto tag = reader.next();
  ASSERT_TRUE(tag && tag->type == media::MediaType::data);
  const auto values = amf0::decode_all(tag->body);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_DOUBLE_EQ(values[1].get("duration")->as_number(), 2.0);
  EXPECT_DOUBLE_EQ(values[1].get("filesize")->as_number(), double(landed->size));
  EXPECT_DOUBLE_EQ(values[1].get("width")->as_number(), 640);
  EXPECT_EQ(values[1].get("title")->as_string(), "duration");

  // A split knows the file's duration up to the next file's first frame: that one is written.
  const auto second = (dir / "n.flv.part").string();
  auto w2 = open_flv_writer(second, start);
  for (std::uint32_t t = 0; t <= 2000; t += 40) w2->write(*video(t, t == 0, 300), t);
  w2->finish();
  ASSERT_TRUE(land_file(second, (dir / "n.flv").string(), Format::flv, 2.04));
  media::FlvReader again;
  again.feed(read_file((dir / "n.flv").string()));
  EXPECT_DOUBLE_EQ(amf0::decode_all(again.next()->body)[1].get("duration")->as_number(), 2.04);
}

TEST_F(MediaFileTest, FlvWithGarbageTailOrNoMediaIsHandled) {
  const auto part = (dir / "b.flv.part").string();
  {
    FileStart start{metadata(), nullptr, audio_header(), nullptr, true, false, nullptr, {}};
    auto w = open_flv_writer(part, start);
    w->write(*audio(0), 0);
    w->write(*audio(23), 23);
    w->finish();
  }
  const auto good = fs::file_size(part);
  {
    std::ofstream out(part, std::ios::binary | std::ios::app);
    out << std::string(64, '\x07');  // not a tag type
  }
  const auto landed = land_file(part, (dir / "b.flv").string(), Format::flv);
  ASSERT_TRUE(landed);
  EXPECT_EQ(landed->size, good);

  const auto empty = (dir / "c.flv.part").string();
  open_flv_writer(empty, FileStart{metadata(), nullptr, nullptr, nullptr, false, false, nullptr, {}})->finish();
  EXPECT_FALSE(land_file(empty, (dir / "c.flv").string(), Format::flv));
  EXPECT_FALSE(fs::exists(empty));
}

// Audio-only MP4 (AAC needs no real bitstream to be muxed): 5 s, a fragment at least every second.
void write_mp4(const std::string& part, std::uint32_t until_ms, bool finish) {
  FileStart start{metadata(), nullptr, audio_header(), audio(0), true, false, nullptr, {}};
  auto w = open_mp4_writer(part, start, "test");
  for (std::uint32_t i = 0; i * 1024 * 1000 / 44100 < until_ms; ++i) {
    w->write(*audio(i * 1024 * 1000 / 44100, 200), i * 1024 * 1000 / 44100);
  }
  if (finish) w->finish();
}

bool moov_before_mdat(const Bytes& file) {
  const std::string s(file.begin(), file.end());
  const auto moov = s.find("moov"), mdat = s.find("mdat");
  return moov != std::string::npos && mdat != std::string::npos && moov < mdat;
}

TEST_F(MediaFileTest, Mp4LandsWithTheMoovInFront) {
  const auto part = (dir / "a.mp4.part").string();
  const auto final_path = (dir / "a.mp4").string();
  write_mp4(part, 5000, true);
  const auto landed = land_file(part, final_path, Format::mp4);
  ASSERT_TRUE(landed);
  EXPECT_FALSE(fs::exists(part));
  EXPECT_FALSE(fs::exists(final_path + ".landing"));
  EXPECT_NEAR(landed->duration_s, 5.0, 0.1);
  const auto bytes = read_file(final_path);
  EXPECT_EQ(bytes.size(), landed->size);
  EXPECT_TRUE(moov_before_mdat(bytes));
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()).find("moof"), std::string::npos);  // not fragmented
}

TEST_F(MediaFileTest, TruncatedFragmentedMp4IsRecoveredUpToItsLastWholeFragment) {
  const auto part = (dir / "a.mp4.part").string();
  const auto final_path = (dir / "a.mp4").string();
  write_mp4(part, 5000, false);  // a crash: no trailer, the last second still in memory
  const auto size = fs::file_size(part);
  fs::resize_file(part, size - 300);  // and the last fragment cut short
  const auto landed = land_file(part, final_path, Format::mp4);
  ASSERT_TRUE(landed);
  EXPECT_GT(landed->duration_s, 2.0);
  EXPECT_LT(landed->duration_s, 5.0);
  EXPECT_TRUE(moov_before_mdat(read_file(final_path)));
}

TEST_F(MediaFileTest, Mp4WithoutAnyFragmentHoldsNoMedia) {
  const auto part = (dir / "a.mp4.part").string();
  write_mp4(part, 500, false);  // under a second: nothing written but the header
  EXPECT_FALSE(land_file(part, (dir / "a.mp4").string(), Format::mp4));
  EXPECT_FALSE(fs::exists(part));
}

}  // namespace
}  // namespace liveorigin::record
