// hls.path files: written whole, and an ended stream's files removed once no player can want them,
// unless the stream publishes again first.
#include "liveorigin/hls/disk_writer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <thread>

#include "../store/temp_dir.hpp"

namespace liveorigin::hls {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DiskWriterTest : public ::testing::Test {
 protected:
  fs::path file(const std::string& name) {
    const fs::path p = dir.file(name);
    std::ofstream(p) << name;
    return p;
  }
  // Waits for the writer's thread to act on what came due (bounded: a hang fails the test).
  static bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 400 && !done(); ++i) std::this_thread::sleep_for(10ms);
    return done();
  }
  liveorigin::testing::TempDir dir{"liveorigin-hlsdisk-"};
};

TEST_F(DiskWriterTest, AnEndedStreamsFilesGoWhenDue) {
  DiskWriter writer;
  const auto seg = file("s-1-0.ts"), playlist = file("s.m3u8");
  writer.expire("live/s", {seg}, playlist, std::chrono::steady_clock::now() + 50ms);
  EXPECT_TRUE(fs::exists(seg));
  EXPECT_TRUE(eventually([&] { return !fs::exists(seg) && !fs::exists(playlist); }));
}

TEST_F(DiskWriterTest, ARepublishThatContinuesThePlaylistKeepsEverything) {
  DiskWriter writer;
  const auto seg = file("s-1-0.ts"), playlist = file("s.m3u8"), other = file("t-1-0.ts");
  writer.expire("live/s", {seg}, playlist, std::chrono::steady_clock::now() + 50ms);
  writer.expire("live/t", {other}, std::nullopt, std::chrono::steady_clock::now() + 50ms);
  writer.keep("live/s", true);
  EXPECT_TRUE(eventually([&] { return !fs::exists(other); }));  // another stream's still went
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(fs::exists(seg));
  EXPECT_TRUE(fs::exists(playlist));
}

TEST_F(DiskWriterTest, ARepublishWithANewPlaylistKeepsOnlyThePlaylistFile) {
  DiskWriter writer;
  const auto seg = file("s-1-0.ts"), playlist = file("s.m3u8");
  writer.expire("live/s", {seg}, playlist, std::chrono::steady_clock::now() + 50ms);
  writer.keep("live/s", false);
  EXPECT_TRUE(eventually([&] { return !fs::exists(seg); }));
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(fs::exists(playlist));
}

TEST_F(DiskWriterTest, ShutdownRemovesWhatWasStillToGo) {
  const auto seg = file("s-1-0.ts"), playlist = file("s.m3u8");
  {
    DiskWriter writer;
    writer.expire("live/s", {seg}, playlist, std::chrono::steady_clock::now() + 1h);
  }
  EXPECT_FALSE(fs::exists(seg));
  EXPECT_FALSE(fs::exists(playlist));
}

}  // namespace
}  // namespace liveorigin::hls
