#include "liveorigin/record/recorder.hpp"

#include <mutex>
#include <sstream>

#include <gtest/gtest.h>

#include "../hls/ts_reader.hpp"
#include "liveorigin/media/flv.hpp"
#include "liveorigin/record/media_file.hpp"
#include "liveorigin/record/recording_store.hpp"
#include "record_packets.hpp"

namespace liveorigin::record {
namespace {

namespace fs = std::filesystem;
using namespace testing;

class RecorderTest : public ScratchDir {
 protected:
  std::mutex mutex;
  std::vector<LandedRecording> landed;
  RecorderOptions options() {
    RecorderOptions o;
    o.vod_root = (dir / "vod").string();
    o.on_landed = [this](const LandedRecording& r) {
      std::lock_guard lock(mutex);
      landed.push_back(r);
    };
    return o;
  }
  // A start recovers what a crash left: here one recording, named for 2025-03-04 05:06:07 UTC.
  void expect_one_recovered_from_20250304_050607() {
    {
      Recorder recorder(options());
      recorder.recover();
      recorder.drain();
    }
    ASSERT_EQ(landed.size(), 1u);
    EXPECT_TRUE(landed[0].recovered);
    EXPECT_EQ(landed[0].start_time, 1741064767);
  }
};

// 10 s of 25 fps video with a key frame every 2 s, and AAC audio.
void publish(hub::Subscriber& out, std::uint32_t base = 5000) {
  out.on_packet(metadata());
  out.on_packet(video_header());
  out.on_packet(audio_header());
  for (std::uint32_t t = 0; t < 10000; t += 40) {
    out.on_packet(video(base + t, t % 2000 == 0));
    out.on_packet(audio(base + t + 10));
  }
  out.on_stream_end();
}

TEST_F(RecorderTest, SplitsOnKeyFramesWithNoFrameLostOrRepeated) {
  {
    Recorder recorder(options());
    auto out = recorder.start({"live", "cam", "203.0.113.5", {Format::flv, 3}});
    publish(*out);
    recorder.drain();
  }
  ASSERT_EQ(landed.size(), 3u);  // 0-4 s, 4-8 s, 8-10 s: splits at the first key frame past 3 s
  std::sort(landed.begin(), landed.end(), [](auto& a, auto& b) { return a.file_name < b.file_name; });
  std::size_t video_frames = 0, audio_frames = 0;
  double total = 0;
  for (const auto& r : landed) {
    EXPECT_TRUE(r.file_name.ends_with(".flv"));
    EXPECT_EQ(r.vod_path, "/vod/live/cam/" + r.file_name);
    EXPECT_EQ(r.client_ip, "203.0.113.5");
    EXPECT_FALSE(r.recovered);
    EXPECT_EQ(r.file_size, fs::file_size(r.file_path));
    total += r.duration;
    media::FlvReader reader;
    reader.feed(read_file(r.file_path));
    std::vector<media::FlvTag> tags;
    while (auto t = reader.next()) tags.push_back(*t);
    ASSERT_GE(tags.size(), 4u);
    EXPECT_EQ(tags[0].type, media::MediaType::data);  // metadata and headers start every file
    EXPECT_EQ(tags[1].body[1], 0);
    EXPECT_EQ(tags[2].body[1], 0);
    EXPECT_EQ(tags[3].timestamp, 0u);                 // the first frame: a key frame at 0
    EXPECT_EQ(tags[3].body[0], 0x17);
    for (std::size_t i = 3; i < tags.size(); ++i) {
      (tags[i].type == media::MediaType::video ? video_frames : audio_frames) += 1;
    }
  }
  EXPECT_EQ(video_frames, 250u);
  EXPECT_EQ(audio_frames, 250u);
  EXPECT_NEAR(total, 10.0, 0.1);
  EXPECT_EQ(landed[0].duration, 4.0);
  EXPECT_EQ(landed[1].start_time, landed[0].start_time + 4);
  EXPECT_TRUE(fs::is_empty(dir / "vod" / "live" / "cam") == false);
  for (const auto& e : fs::directory_iterator(dir / "vod" / "live" / "cam"))
    EXPECT_FALSE(e.path().string().ends_with(".part"));
}

TEST_F(RecorderTest, RecoversPartFilesLeftByACrash) {
  const auto folder = dir / "vod" / "live" / "cam";
  fs::create_directories(folder);
  const auto part = folder / "cam_20250304-050607.flv.part";
  {
    FileStart start{metadata(), video_header(), nullptr, nullptr, false, true, nullptr, {}};
    auto w = open_flv_writer(part.string(), start);
    for (std::uint32_t t = 0; t <= 2000; t += 40) w->write(*video(t, t == 0), t);
    w->flush();
  }
  fs::resize_file(part, fs::file_size(part) - 7);
  std::ofstream(folder / "cam_20250304-050600.mp4.landing") << "half a remux";
  ASSERT_NO_FATAL_FAILURE(expect_one_recovered_from_20250304_050607());
  EXPECT_EQ(landed[0].file_name, "cam_20250304-050607.flv");
  EXPECT_NEAR(landed[0].duration, 1.96, 0.001);
  EXPECT_TRUE(fs::exists(folder / "cam_20250304-050607.flv"));
  EXPECT_FALSE(fs::exists(part));
  EXPECT_FALSE(fs::exists(folder / "cam_20250304-050600.mp4.landing"));
}

TEST_F(RecorderTest, DrainEndsRecordingsWhoseStreamNeverEnded) {
  {
    Recorder recorder(options());
    auto out = recorder.start({"live", "cam", "", {Format::flv, 0}});
    out->on_packet(video_header());
    for (std::uint32_t t = 0; t < 1000; t += 40) out->on_packet(video(t, t == 0));
    recorder.drain();  // the stream still holds `out`
  }
  ASSERT_EQ(landed.size(), 1u);
  EXPECT_NEAR(landed[0].duration, 0.96, 0.001);
}

TEST_F(RecorderTest, LandedRecordingsAreStoredAndListed) {
  store::Database db((dir / "liveorigin.db").string());
  LandedRecording r;
  r.app = "live";
  r.stream = "cam";
  r.file_name = "cam_20250304-050607.mp4";
  r.file_path = "/data/vod/live/cam/" + r.file_name;
  r.file_size = 1234;
  r.start_time = 1741064767;
  r.end_time = 1741064777;
  r.duration = 10.04;
  db.call([&](store::Connection& c) {
    insert_recording(c, r, 1741064800);
    insert_recording(c, r, 1741064800);  // reported twice: one row
  });
  auto rows = db.call([](store::Connection& c) { return list_recordings(c, "live", "cam"); });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].file_path, r.file_path);
  EXPECT_EQ(rows[0].format, Format::mp4);
  EXPECT_EQ(rows[0].vod_path, "/vod/live/cam/cam_20250304-050607.mp4");
  EXPECT_DOUBLE_EQ(rows[0].duration, 10.04);
  EXPECT_TRUE(db.call([](store::Connection& c) { return list_recordings(c, "live", "other"); }).empty());
  EXPECT_EQ(db.call([](store::Connection& c) { return list_recordings(c, "", ""); }).size(), 1u);
}

// ---------------------------------------------------------------- HLS recordings

using hls::testing::avc_frame;
using hls::testing::avc_header;

std::string text_of(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST_F(RecorderTest, ASessionLandsAsAFolderWithAVodPlaylistAndItsSegments) {
  {
    Recorder recorder(options());
    RecordSettings settings{Format::hls, 0, 2};
    auto out = recorder.start({"live", "cam", "203.0.113.5", settings});
    out->on_packet(avc_header());
    for (std::uint32_t t = 0; t < 10000; t += 40) out->on_packet(avc_frame(t, t % 2000 == 0));
    out->on_stream_end();
    recorder.drain();
  }
  ASSERT_EQ(landed.size(), 1u);
  const auto& r = landed[0];
  EXPECT_EQ(r.format, Format::hls);
  EXPECT_TRUE(r.file_name.ends_with(".hls/index.m3u8")) << r.file_name;
  EXPECT_EQ(r.vod_path, "/vod/live/cam/" + r.file_name);
  EXPECT_NEAR(r.duration, 10.0, 0.05);
  const fs::path folder = fs::path(r.file_path).parent_path();
  EXPECT_EQ(folder.parent_path(), dir / "vod" / "live" / "cam");
  const auto playlist = text_of(r.file_path);
  EXPECT_EQ(count(playlist, "#EXT-X-PLAYLIST-TYPE:VOD\n"), 1);
  EXPECT_EQ(count(playlist, "#EXT-X-ENDLIST\n"), 1);
  EXPECT_TRUE(playlist.ends_with("#EXT-X-ENDLIST\n"));
  EXPECT_EQ(count(playlist, "#EXTINF:2.000,"), 5);
  std::uint64_t size = playlist.size();
  int segments = 0;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.path().extension() != ".ts") continue;
    ++segments;
    size += e.file_size();
    const auto ts = hls::testing::read_ts_segment(read_file(e.path()));
    ASSERT_FALSE(ts.pes.empty());
    EXPECT_TRUE(ts.pes.front().random_access);  // each segment starts on a key frame
  }
  EXPECT_EQ(segments, 5);
  EXPECT_EQ(r.file_size, size);
  for (const auto& e : fs::directory_iterator(dir / "vod" / "live" / "cam"))
    EXPECT_FALSE(e.path().string().ends_with(".part"));
}

TEST_F(RecorderTest, ACrashLeavesAPlaylistOfTheWholeSegmentsAndRecoveryEndsIt) {
  const auto folder = dir / "vod" / "live" / "cam";
  fs::create_directories(folder);
  const auto part = folder / "cam_20250304-050607.hls.part";
  {
    FileStart start{nullptr, avc_header(), nullptr, nullptr, false, true};
    auto w = open_hls_writer(part.string(), start, 2, "test");
    for (std::uint32_t t = 0; t <= 5000; t += 40) w->write(*avc_frame(t, t % 2000 == 0), t);
    // No finish(): the process died. Two segments are whole (0-2 s, 2-4 s); 4-5 s is not.
  }
  const auto before = text_of(part / "index.m3u8");
  EXPECT_EQ(count(before, "#EXTINF:"), 2);
  EXPECT_EQ(count(before, "#EXT-X-ENDLIST"), 0);
  std::ofstream(part / "00002.ts") << "a segment the playlist never listed";
  ASSERT_NO_FATAL_FAILURE(expect_one_recovered_from_20250304_050607());
  EXPECT_EQ(landed[0].file_name, "cam_20250304-050607.hls/index.m3u8");
  EXPECT_NEAR(landed[0].duration, 4.0, 0.001);
  EXPECT_FALSE(fs::exists(part));
  const auto landed_folder = folder / "cam_20250304-050607.hls";
  const auto after = text_of(landed_folder / "index.m3u8");
  EXPECT_EQ(after, before + "#EXT-X-ENDLIST\n");
  EXPECT_FALSE(fs::exists(landed_folder / "00002.ts"));
  EXPECT_TRUE(fs::exists(landed_folder / "00001.ts"));
}

}  // namespace
}  // namespace liveorigin::record
