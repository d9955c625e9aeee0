#include "liveorigin/access/access.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace liveorigin::access {
namespace {

using Refusal = Decision::Refusal;

config::AppConfig app(config::AppMode mode = config::AppMode::code) {
  config::AppConfig a;
  a.name = "live";
  a.mode = mode;
  return a;
}

TEST(Access, RefusesBadNames) {
  Access access;
  for (const std::string& name : std::vector<std::string>{"", ".", "..", "a/b", "a b", std::string(129, 'x')}) {
    EXPECT_EQ(access.check_publish(app(), name, {}, 0).refusal, Refusal::bad_name) << name;
    EXPECT_EQ(access.check_play(app(), name, {}, 0).refusal, Refusal::bad_name) << name;
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
  EXPECT_TRUE(access.check_play(a, "s", {}, now).ok());  // no play key
  a.play_auth.key = "play";
  EXPECT_EQ(access.check_play(a, "s", signed_push, now).refusal, Refusal::unauthorized);
}

TEST(Access, DisabledStreamsAndChannels) {
  Access access;
  access.load({{"live", "off"}}, {{"live", "ch1"}});
  EXPECT_EQ(access.check_publish(app(), "off", {}, 0).refusal, Refusal::disabled);
  EXPECT_TRUE(access.check_play(app(), "off", {}, 0).ok());
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

}  // namespace
}  // namespace liveorigin::access
