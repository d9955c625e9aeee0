// Files the recorder writes are never written through a symlink or FIFO it did not create.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <string>

#include "liveorigin/record/media_file.hpp"
#include "record_packets.hpp"

namespace liveorigin::record {
namespace {

namespace fs = std::filesystem;
using namespace testing;

class RecordFileSafetyTest : public ScratchDir {
 protected:
  fs::path victim = dir / "victim";
  void SetUp() override {
    ScratchDir::SetUp();
    std::ofstream(victim) << "victim";
  }
  std::string victim_text() const {
    const Bytes b = read_file(victim);
    return std::string(b.begin(), b.end());
  }
  FileStart start{metadata(), video_header(), audio_header(), nullptr, true, true, nullptr, {}};
};

TEST_F(RecordFileSafetyTest, PartFilesAreNotOpenedThroughASymlinkOrFifo) {
  for (const char* name : {"a.flv.part", "a.mp4.part"}) {
    const fs::path part = dir / name;
    fs::create_symlink(victim, part);
    const bool flv = std::string(name).starts_with("a.flv");
    EXPECT_THROW(flv ? open_flv_writer(part, start) : open_mp4_writer(part, start, "test"), RecordError) << name;
    EXPECT_EQ(victim_text(), "victim") << name;
    // A dangling symlink (to a file that does not exist yet) is not followed either.
    fs::remove(part);
    fs::create_symlink(dir / "nowhere", part);
    EXPECT_THROW(flv ? open_flv_writer(part, start) : open_mp4_writer(part, start, "test"), RecordError) << name;
    EXPECT_FALSE(fs::exists(dir / "nowhere")) << name;
    fs::remove(part);
    ASSERT_EQ(::mkfifo(part.c_str(), 0644), 0);
    EXPECT_THROW(flv ? open_flv_writer(part, start) : open_mp4_writer(part, start, "test"), RecordError) << name;
  }
}

TEST_F(RecordFileSafetyTest, LandingLeavesASymlinkedPartAndItsTargetAlone) {
  // A recording of the victim's bytes would be truncated (FLV) or removed (MP4) by a landing.
  const fs::path part = dir / "a.flv.part";
  fs::create_symlink(victim, part);
  EXPECT_THROW(land_file(part, (dir / "a.flv").string(), Format::flv), RecordError);
  EXPECT_EQ(victim_text(), "victim");
  EXPECT_FALSE(fs::exists(dir / "a.flv"));
}

TEST_F(RecordFileSafetyTest, Mp4LandingReplacesAPlantedSymlinkAtItsTemporaryName) {
  const fs::path part = dir / "a.mp4.part";
  {
    auto w = open_mp4_writer(part, start, "test");
    w->write(*video(0, true), 0);
    w->write(*audio(10), 10);
    w->write(*video(40, false), 40);
    w->finish();
  }
  fs::create_symlink(victim, dir / "a.mp4.landing");
  const auto landed = land_file(part, (dir / "a.mp4").string(), Format::mp4);
  ASSERT_TRUE(landed);
  EXPECT_EQ(victim_text(), "victim");
  EXPECT_FALSE(fs::is_symlink(dir / "a.mp4"));
}

}  // namespace
}  // namespace liveorigin::record
