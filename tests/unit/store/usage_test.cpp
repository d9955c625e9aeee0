#include "liveorigin/store/usage.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace liveorigin::store {
namespace {

constexpr std::int64_t kDay = 86400;
// A Monday 00:00 UTC, so days and hours line up with it.
constexpr std::int64_t kT0 = 1764547200;

common::UsageRecord minute(std::string app, std::string stream, std::int64_t start, std::uint64_t flv_bytes,
                           std::uint64_t peak = 0, double flv_seconds = 0) {
  common::UsageRecord r{std::move(app), std::move(stream), start, 60};
  r.bytes_in = flv_bytes / 2;
  r.bytes_out[1] = flv_bytes;
  r.peak_kbps_out = peak;
  r.player_seconds[1] = flv_seconds;
  return r;
}

class UsageStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir{"liveorigin-usage-"};
  Database db{dir.file("liveorigin.db")};

  std::vector<common::UsageRecord> query(const std::string& app, const std::string& stream, std::int64_t from,
                                         std::int64_t to, std::int64_t step) {
    return db.call([&](Connection& c) { return query_usage(c, {app, stream, from, to, step}); });
  }
  int rows(std::int64_t seconds) {
    return db.call([&](Connection& c) {
      auto st = c.prepare("SELECT COUNT(*) FROM usage WHERE seconds = ?");
      st.bind(1, seconds).step();
      return static_cast<int>(st.column_int(0));
    });
  }
};

TEST_F(UsageStoreTest, AMinuteWrittenTwiceAddsUpAndKeepsTheHigherPeak) {
  db.call([](Connection& c) {
    write_usage(c, {minute("live", "a", kT0, 1000, 80, 30)});
    write_usage(c, {minute("live", "a", kT0, 500, 50, 12.5)});
  });
  const auto got = query("live", "a", kT0, kT0 + 60, 60);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes_out[1], 1500u);
  EXPECT_EQ(got[0].bytes_in, 750u);
  EXPECT_EQ(got[0].peak_kbps_out, 80u);
  EXPECT_DOUBLE_EQ(got[0].player_seconds[1], 42.5);
}

TEST_F(UsageStoreTest, QueryBucketsByStepAndKeepsStreamsAppsAndRangesApart) {
  std::vector<common::UsageRecord> records;
  for (int m = 0; m < 180; ++m) records.push_back(minute("live", "a", kT0 + m * 60, 100, std::uint64_t(m), 1));
  records.push_back(minute("live", "b", kT0, 7000));
  records.push_back(minute("other", "a", kT0, 9000));
  records.push_back(minute("live", "a", kT0 + kDay, 5));  // the next day
  db.call([&](Connection& c) { write_usage(c, records); });

  const auto minutes = query("live", "a", kT0, kT0 + 3600, 60);
  ASSERT_EQ(minutes.size(), 60u);
  EXPECT_EQ(minutes[0].start, kT0);
  EXPECT_EQ(minutes[59].start, kT0 + 59 * 60);
  EXPECT_EQ(minutes[59].bytes_out[1], 100u);

  const auto hours = query("live", "a", kT0, kT0 + kDay, 3600);
  ASSERT_EQ(hours.size(), 3u);
  for (const auto& h : hours) EXPECT_EQ(h.bytes_out[1], 6000u);
  EXPECT_EQ(hours[1].start, kT0 + 3600);
  EXPECT_EQ(hours[1].peak_kbps_out, 119u);  // the highest minute of the hour
  EXPECT_DOUBLE_EQ(hours[2].player_seconds[1], 60.0);

  const auto days = query("live", "a", kT0, kT0 + 2 * kDay, 86400);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].bytes_out[1], 18000u);
  EXPECT_EQ(days[1].start, kT0 + kDay);
  EXPECT_EQ(days[1].bytes_out[1], 5u);

  // `to` is exclusive; another stream or app is not mixed in.
  EXPECT_EQ(query("live", "a", kT0, kT0 + 60, 3600).at(0).bytes_out[1], 100u);
  EXPECT_EQ(query("live", "b", kT0, kT0 + kDay, 86400).at(0).bytes_out[1], 7000u);
  EXPECT_TRUE(query("nope", "a", kT0, kT0 + kDay, 86400).empty());
}

TEST_F(UsageStoreTest, RollUpTurnsMinutesOlderThanSevenDaysIntoHoursAndPrunesAfterNinety) {
  const std::int64_t now = kT0 + 100 * kDay + 1800;  // half past midnight, day 100
  std::vector<common::UsageRecord> records;
  // Two hours of minutes ten days ago, one minute a day ago, a row 95 days ago.
  for (int m = 0; m < 120; ++m) records.push_back(minute("live", "a", now - 10 * kDay - 1800 + m * 60, 10, std::uint64_t(m % 7), 2));
  records.push_back(minute("live", "a", now - kDay, 33));
  auto old_hour = minute("live", "a", now - 95 * kDay - 1800, 44);
  old_hour.seconds = 3600;
  records.push_back(old_hour);
  db.call([&](Connection& c) { write_usage(c, records); });
  const auto before = query("live", "a", now - 11 * kDay, now, 86400);

  const auto done = db.call([&](Connection& c) { return roll_up_usage(c, now); });
  EXPECT_EQ(done.minutes_rolled, 120);
  EXPECT_EQ(done.rows_pruned, 1);
  EXPECT_EQ(rows(60), 1);    // the recent minute stays a minute
  EXPECT_EQ(rows(3600), 2);  // ten days ago: two hours, each from 60 minutes; the old hour is gone

  const auto hours = query("live", "a", now - 11 * kDay, now - 9 * kDay, 3600);
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[0].bytes_out[1], 600u);
  EXPECT_EQ(hours[0].bytes_in, 300u);
  EXPECT_EQ(hours[0].peak_kbps_out, 6u);
  EXPECT_DOUBLE_EQ(hours[0].player_seconds[1], 120.0);
  // Sums over days do not change by the roll-up.
  const auto after = query("live", "a", now - 11 * kDay, now, 86400);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].bytes_out[1], before[i].bytes_out[1]);
  // A step of a minute over rolled-up time gives one bucket per hour.
  EXPECT_EQ(query("live", "a", now - 11 * kDay, now - 9 * kDay, 60).size(), 2u);

  // Running it again changes nothing.
  const auto again = db.call([&](Connection& c) { return roll_up_usage(c, now); });
  EXPECT_EQ(again.minutes_rolled, 0);
  EXPECT_EQ(query("live", "a", now - 11 * kDay, now - 9 * kDay, 3600).at(0).bytes_out[1], 600u);
}

}  // namespace
}  // namespace liveorigin::store
