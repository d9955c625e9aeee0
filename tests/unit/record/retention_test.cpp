#include "liveorigin/record/retention.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "../store/temp_dir.hpp"
#include "liveorigin/record/recording_store.hpp"

namespace liveorigin::record {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kNow = 1764547200;
constexpr std::int64_t kDay = 86400;

StoredRecording rec(std::int64_t id, std::string app, std::int64_t start, std::uint64_t size) {
  return {id, std::move(app), "s", "/data/vod/x/s/f" + std::to_string(id) + ".flv", Format::flv, size, start,
          start + 600};
}

std::vector<std::int64_t> ids(const std::vector<Expired>& expired) {
  std::vector<std::int64_t> out;
  for (const auto& e : expired) out.push_back(e.recording.id);
  return out;
}

TEST(RetentionTest, AgeDeletesFilesThatEndedBeforeTheCutoffOnlyInAppsWithAPolicy) {
  const std::vector<StoredRecording> rows = {
      rec(1, "live", kNow - 40 * kDay, 10),  // ended 40 days ago
      rec(2, "live", kNow - 30 * kDay - 300, 10),  // ended 30 days minus 5 minutes ago: kept
      rec(3, "live", kNow - kDay, 10),
      rec(4, "keep", kNow - 400 * kDay, 10),  // no policy
  };
  const auto out = select_expired(rows, {{"live", {30, 0}}}, kNow);
  EXPECT_EQ(ids(out), (std::vector<std::int64_t>{1}));
  EXPECT_NE(out.at(0).reason.find("more than 30 days"), std::string::npos) << out.at(0).reason;
  EXPECT_TRUE(select_expired(rows, {}, kNow).empty());
}

TEST(RetentionTest, SizeCapDeletesTheOldestAndAlwaysKeepsTheNewest) {
  const std::vector<StoredRecording> rows = {
      rec(1, "live", kNow - 5000, 400), rec(2, "live", kNow - 4000, 400), rec(3, "live", kNow - 3000, 400),
      rec(4, "live", kNow - 2000, 400), rec(5, "other", kNow - 9000, 5000),
  };
  // 1000 bytes hold the two newest (800); the third would make 1200.
  const auto out = select_expired(rows, {{"live", {0, 1000}}}, kNow);
  EXPECT_EQ(ids(out), (std::vector<std::int64_t>{1, 2}));  // oldest first
  EXPECT_NE(out.at(0).reason.find("max_total_size"), std::string::npos);
  // A cap below one file keeps the newest file alone.
  EXPECT_EQ(ids(select_expired(rows, {{"live", {0, 100}}}, kNow)), (std::vector<std::int64_t>{1, 2, 3}));
  // Age first, then the cap over what is left.
  EXPECT_EQ(ids(select_expired(rows, {{"live", {3500.0 / kDay, 400}}}, kNow)), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST(RetentionTest, ApplyDeletesFilesAndRowsInsideTheVodRootOnly) {
  liveorigin::testing::TempDir dir("liveorigin-retention-");
  const fs::path root = fs::path(dir.file("vod"));
  fs::create_directories(root / "live" / "s");
  store::Database db(dir.file("liveorigin.db"));
  auto add = [&](const std::string& path, std::int64_t start, bool create) {
    if (create) std::ofstream(path) << "data";
    LandedRecording r;
    r.app = "live";
    r.stream = "s";
    r.file_path = path;
    r.file_name = fs::path(path).filename().string();
    r.format = Format::flv;
    r.file_size = 4;
    r.start_time = start;
    r.end_time = start + 60;
    db.call([&](store::Connection& c) { insert_recording(c, r, start); });
  };
  const auto old_file = (root / "live" / "s" / "s_old.flv").string();
  const auto new_file = (root / "live" / "s" / "s_new.flv").string();
  const auto outside = dir.file("outside.flv");
  const auto part = (root / "live" / "s" / "s_now.flv.part").string();
  std::ofstream(part) << "being written";  // no row: never considered
  add(old_file, kNow - 10 * kDay, true);
  add(new_file, kNow - 100, true);
  add(outside, kNow - 20 * kDay, true);   // a row pointing out of the vod root: refused
  add((root / "live" / "s" / "s_gone.flv").string(), kNow - 30 * kDay, false);  // file already gone

  const auto deleted = db.call([&](store::Connection& c) {
    return apply_retention(c, root.string(), {{"live", {7, 0}}}, kNow);
  });
  EXPECT_EQ(deleted, 2u);
  EXPECT_FALSE(fs::exists(old_file));
  EXPECT_TRUE(fs::exists(new_file));
  EXPECT_TRUE(fs::exists(outside));
  EXPECT_TRUE(fs::exists(part));
  const auto left = db.call([](store::Connection& c) { return list_recordings(c, "live", "", 100); });
  std::vector<std::string> names;
  for (const auto& r : left) names.push_back(r.file_name);
  EXPECT_EQ(names, (std::vector<std::string>{"s_new.flv", "outside.flv"}));
}

}  // namespace
}  // namespace liveorigin::record
