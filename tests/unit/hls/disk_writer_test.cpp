// hls.path files: written whole, and an ended stream's files removed once no player can want them,
// unless the stream publishes again first.
#include "liveorigin/hls/disk_writer.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
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

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::shared_ptr<const Bytes> bytes_of(const std::string& s) {
  return std::make_shared<const Bytes>(s.begin(), s.end());
}

TEST_F(DiskWriterTest, WritesNeverGoThroughAPlantedSymlinkOrFifo) {
  const fs::path live = dir.file("live");
  fs::create_directories(live);
  const auto victim = file("victim");
  // At the temp name, and at the target name.
  fs::create_symlink(victim, live / "s.m3u8.tmp");
  fs::create_symlink(victim, live / "s-1-0.ts");
  ASSERT_EQ(::mkfifo((live / "s-1-1.ts.tmp").c_str(), 0644), 0);
  DiskWriter writer;
  writer.write(live / "s.m3u8", bytes_of("playlist"));
  writer.write(live / "s-1-0.ts", bytes_of("segment"));
  writer.write(live / "s-1-1.ts", bytes_of("next"));
  writer.flush();
  EXPECT_EQ(read_text(victim), "victim");
  EXPECT_FALSE(fs::is_symlink(live / "s.m3u8"));
  EXPECT_EQ(read_text(live / "s.m3u8"), "playlist");
  EXPECT_FALSE(fs::is_symlink(live / "s-1-0.ts"));
  EXPECT_EQ(read_text(live / "s-1-0.ts"), "segment");
  EXPECT_EQ(read_text(live / "s-1-1.ts"), "next");
  for (const char* tmp : {"s.m3u8.tmp", "s-1-0.ts.tmp", "s-1-1.ts.tmp"})
    EXPECT_FALSE(fs::exists(fs::symlink_status(live / tmp))) << tmp;
}

TEST_F(DiskWriterTest, ADirectorySymlinkIsNotWrittenInto) {
  const fs::path elsewhere = dir.file("elsewhere");
  fs::create_directories(elsewhere);
  fs::create_directory_symlink(elsewhere, dir.file("live"));
  DiskWriter writer;
  writer.write(fs::path(dir.file("live")) / "s.m3u8", bytes_of("playlist"));
  writer.flush();
  EXPECT_TRUE(fs::is_empty(elsewhere));
}

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
