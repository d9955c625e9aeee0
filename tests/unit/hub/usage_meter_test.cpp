#include "liveorigin/hub/usage_meter.hpp"

#include <gtest/gtest.h>

namespace liveorigin::hub {
namespace {

constexpr std::int64_t kMinute0 = 1764547200;  // a minute's first second
constexpr std::int64_t kMs0 = kMinute0 * 1000;

const common::UsageRecord* find(const std::vector<common::UsageRecord>& records, const std::string& app,
                                const std::string& stream) {
  for (const auto& r : records) {
    if (r.app == app && r.stream == stream) return &r;
  }
  return nullptr;
}

TEST(UsageMeterTest, AMinuteEndsWithRecordsForTheStreamItsAppAndTheServer) {
  UsageMeter meter;
  auto a = meter.stream({"live", "a"});
  auto b = meter.stream({"live", "b"});
  auto c = meter.stream({"other", "c"});
  EXPECT_TRUE(meter.tick(kMs0).empty());
  a->add_bytes_in(1000);
  a->add_bytes_out(0, 300);  // rtmp
  a->add_bytes_out(1, 200);  // flv
  b->add_bytes_out(2, 50);   // hls
  c->add_bytes_out(3, 7);    // vod
  EXPECT_TRUE(meter.tick(kMs0 + 1000).empty());  // still the same minute
  const auto now = meter.current();
  ASSERT_NE(find(now, "live", "a"), nullptr);
  EXPECT_EQ(find(now, "live", "a")->bytes_out[1], 200u);

  const auto out = meter.tick(kMs0 + 60'500);
  ASSERT_EQ(out.size(), 6u);  // three streams, two apps, the server
  const auto* sa = find(out, "live", "a");
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->start, kMinute0);
  EXPECT_EQ(sa->seconds, 60);
  EXPECT_EQ(sa->bytes_in, 1000u);
  EXPECT_EQ(sa->bytes_out[0], 300u);
  EXPECT_EQ(sa->bytes_out[1], 200u);
  const auto* live = find(out, "live", "");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->bytes_out_total(), 550u);
  const auto* server = find(out, "", "");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->bytes_out_total(), 557u);
  EXPECT_EQ(server->bytes_out[3], 7u);
  EXPECT_EQ(server->bytes_in, 1000u);
  // Counted once: the next minute starts empty.
  EXPECT_TRUE(meter.current().empty());
  EXPECT_EQ(meter.app_totals().at("live").bytes_out[0], 300u);
  EXPECT_EQ(meter.app_totals().at("other").bytes_out[3], 7u);
}

TEST(UsageMeterTest, PlayerTimeIsTheTimeConnectedInEachMinute) {
  UsageMeter meter;
  auto s = meter.stream({"live", "s"});
  meter.tick(kMs0);
  s->player_joined(PlayProtocol::flv, kMs0 + 10'000);
  s->player_joined(PlayProtocol::rtmp, kMs0 + 30'000);
  s->player_left(PlayProtocol::rtmp, kMs0 + 50'000);
  s->add_player_ms(PlayProtocol::hls, 4'000);
  const auto first = meter.tick(kMs0 + 60'000);
  const auto* r = find(first, "live", "s");
  ASSERT_NE(r, nullptr);
  EXPECT_DOUBLE_EQ(r->player_seconds[0], 20.0);
  EXPECT_DOUBLE_EQ(r->player_seconds[1], 50.0);
  EXPECT_DOUBLE_EQ(r->player_seconds[2], 4.0);
  // The FLV player stays 15 s into the next minute.
  s->player_left(PlayProtocol::flv, kMs0 + 75'000);
  const auto second = meter.tick(kMs0 + 120'000);
  const auto* r2 = find(second, "live", "s");
  ASSERT_NE(r2, nullptr);
  EXPECT_DOUBLE_EQ(r2->player_seconds[1], 15.0);
  EXPECT_DOUBLE_EQ(find(second, "live", "")->player_seconds[1], 15.0);
}

TEST(UsageMeterTest, PeakIsTheHighestOneSecondRateAndAppsAddTheirStreams) {
  UsageMeter meter;
  auto a = meter.stream({"live", "a"});
  auto b = meter.stream({"live", "b"});
  meter.tick(kMs0);
  a->add_bytes_out(1, 125'000);  // 1000 kbit in one second
  meter.tick(kMs0 + 1000);
  a->add_bytes_out(1, 250'000);  // 2000 kbit/s
  b->add_bytes_out(1, 125'000);  // and 1000 at the same time
  meter.tick(kMs0 + 2000);
  b->add_bytes_out(1, 250'000);
  meter.tick(kMs0 + 3000);
  const auto out = meter.finish(kMs0 + 4000);
  EXPECT_EQ(find(out, "live", "a")->peak_kbps_out, 2000u);
  EXPECT_EQ(find(out, "live", "b")->peak_kbps_out, 2000u);
  EXPECT_EQ(find(out, "live", "")->peak_kbps_out, 3000u);
  EXPECT_EQ(find(out, "", "")->peak_kbps_out, 3000u);
  EXPECT_EQ(find(out, "live", "a")->start, kMinute0);  // finish: the partial minute
}

TEST(UsageMeterTest, StreamsNobodyUsesAreForgottenAfterTheirMinute) {
  UsageMeter meter;
  meter.tick(kMs0);
  std::weak_ptr<StreamUsage> gone;
  {
    auto s = meter.stream({"live", "s"});
    s->add_bytes_in(10);
    gone = s;
  }
  auto kept = meter.stream({"live", "k"});
  kept->player_joined(PlayProtocol::rtmp, kMs0);
  EXPECT_EQ(meter.stream({"live", "k"}), kept);  // the same counters while in use
  const auto out = meter.tick(kMs0 + 60'000);
  EXPECT_NE(find(out, "live", "s"), nullptr);  // its last minute is reported
  EXPECT_TRUE(gone.expired());
  EXPECT_EQ(meter.stream({"live", "k"}), kept);
}

}  // namespace
}  // namespace liveorigin::hub
