#include "liveorigin/access/access.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "liveorigin/common/query.hpp"

namespace liveorigin::access {
namespace {

using Refusal = Decision::Refusal;

config::AppConfig app(config::AppMode mode = config::AppMode::code) {
  config::AppConfig a;
  a.name = "live";
  a.mode = mode;
  return a;
}

config::Config config_with(const config::AppConfig& a) {
  config::Config c;
  c.apps = {{a.name, a}};
  return c;
}

const Query kNoQuery;

// A play of live/STREAM by `delivery`, as the network threads ask it.
Decision::Refusal play(const Access& access, const config::Config& config, const std::string& stream,
                       const Query& query = kNoQuery, Delivery delivery = Delivery::rtmp, std::int64_t now = 0) {
  return access.admit_play(config, {"live", stream, query, delivery, now}).decision.refusal;
}

TEST(Access, RefusesBadNames) {
  Access access;
  for (const std::string& name : std::vector<std::string>{"", ".", "..", "a/b", "a b", std::string(129, 'x')}) {
    EXPECT_EQ(access.check_publish(app(), name, {}, 0).refusal, Refusal::bad_name) << name;
    EXPECT_EQ(play(access, config_with(app()), name), Refusal::bad_name) << name;
  }
  EXPECT_TRUE(access.check_publish(app(), "cam-1_a.b", {}, 0).ok());
}

TEST(Access, PushAndPlayAuthAreSeparate) {
  Access access;
  auto a = app();
  a.push_auth.key = "push";
  const auto now = unix_now();
  const Query signed_push = [&] {
    Query q;
    const auto text = signed_query("push", "s", now + 60);
    const auto amp = text.find('&');
    q["txSecret"] = text.substr(9, amp - 9);
    q["txTime"] = text.substr(amp + 8);
    return q;
  }();
  EXPECT_EQ(access.check_publish(a, "s", {}, now).refusal, Refusal::unauthorized);
  EXPECT_TRUE(access.check_publish(a, "s", signed_push, now).ok());
  EXPECT_EQ(play(access, config_with(a), "s", kNoQuery, Delivery::rtmp, now), Refusal::none);  // no play key
  a.play_auth.key = "play";
  EXPECT_EQ(play(access, config_with(a), "s", signed_push, Delivery::rtmp, now), Refusal::unauthorized);
}

TEST(Access, DisabledStreamsAndChannels) {
  Access access;
  access.load({{"live", "off"}}, {{"live", "ch1"}});
  EXPECT_EQ(access.check_publish(app(), "off", {}, 0).refusal, Refusal::disabled);
  EXPECT_EQ(play(access, config_with(app()), "off"), Refusal::none);  // disabling stops publishing only
  access.set_disabled({"live", "off"}, false);
  EXPECT_TRUE(access.check_publish(app(), "off", {}, 0).ok());

  const auto channel_app = app(config::AppMode::channel);
  EXPECT_TRUE(access.check_publish(channel_app, "ch1", {}, 0).ok());
  EXPECT_EQ(access.check_publish(channel_app, "ch2", {}, 0).refusal, Refusal::unknown_channel);
  access.add_channel({"live", "ch2"});
  EXPECT_TRUE(access.check_publish(channel_app, "ch2", {}, 0).ok());
  access.remove_channel({"live", "ch1"});
  EXPECT_EQ(access.check_publish(channel_app, "ch1", {}, 0).refusal, Refusal::unknown_channel);
  // A disabled channel stays disabled.
  access.set_disabled({"live", "ch2"}, true);
  EXPECT_EQ(access.check_publish(channel_app, "ch2", {}, 0).refusal, Refusal::disabled);
}

TEST(Access, EveryDeliveryIsAdmittedTheSameWay) {
  Access access;
  auto a = app();
  a.play_auth.key = "play";
  const auto config = config_with(a);
  const auto now = unix_now();
  for (const auto delivery : {Delivery::rtmp, Delivery::flv, Delivery::hls, Delivery::vod}) {
    EXPECT_EQ(play(access, config, "s", kNoQuery, delivery, now), Refusal::unauthorized);
    EXPECT_EQ(play(access, config, "a/b", kNoQuery, delivery, now), Refusal::bad_name);
    const auto admission = access.admit_play(config, {"other", "s", kNoQuery, delivery, now});
    EXPECT_EQ(admission.decision.refusal, Refusal::unknown_app);
    EXPECT_EQ(admission.app, nullptr);
  }
  const auto signed_play = common::parse_query(signed_query("play", "s", now + 60));
  const auto admission = access.admit_play(config, {"live", "s", signed_play, Delivery::hls, now});
  EXPECT_TRUE(admission.ok());
  ASSERT_NE(admission.app, nullptr);
  EXPECT_EQ(admission.app->name, "live");
}

TEST(Access, AppSwitchesAreCheckedAfterPlayAuth) {
  Access access;
  auto a = app();
  a.flv_enabled = false;
  a.hls.enabled = false;
  EXPECT_EQ(play(access, config_with(a), "s", kNoQuery, Delivery::flv), Refusal::delivery_off);
  EXPECT_EQ(play(access, config_with(a), "s", kNoQuery, Delivery::hls), Refusal::delivery_off);
  EXPECT_EQ(play(access, config_with(a), "s", kNoQuery, Delivery::rtmp), Refusal::none);
  EXPECT_EQ(play(access, config_with(a), "s", kNoQuery, Delivery::vod), Refusal::none);
  // An unsigned request learns nothing of the app's switches.
  a.play_auth.key = "play";
  EXPECT_EQ(play(access, config_with(a), "s", kNoQuery, Delivery::flv, unix_now()), Refusal::unauthorized);
}

}  // namespace
}  // namespace liveorigin::access
