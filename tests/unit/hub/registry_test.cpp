// LocalRegistry's claim rules and the publication lifecycle of Hub::publish.
#include "liveorigin/hub/hub.hpp"

#include <gtest/gtest.h>

#include "manual_loop.hpp"
#include "packets.hpp"

namespace liveorigin::hub {
namespace {

using namespace std::chrono_literals;
using Clock = RegistryClock;
using Outcome = ClaimResult::Outcome;

ClaimResult claim_now(LocalRegistry& r, const StreamKey& key, std::size_t max_streams = 0,
                      Clock::time_point stale_before = Clock::time_point::min(),
                      Clock::time_point last_media = Clock::now()) {
  ClaimResult out;
  r.claim({key, {"1.2.3.4", "rtmp", 0, {}}, max_streams, stale_before, [last_media] { return last_media; }},
          [&](ClaimResult got) { out = got; });
  return out;
}

TEST(LocalRegistry, ClaimsAFreeNameAndRefusesAHeldOne) {
  LocalRegistry r;
  EXPECT_EQ(claim_now(r, {"live", "a"}).outcome, Outcome::granted);
  EXPECT_EQ(claim_now(r, {"live", "a"}).outcome, Outcome::busy);
  EXPECT_EQ(r.size(), 1u);
}

TEST(LocalRegistry, MaxStreamsIsCheckedInTheClaim) {
  LocalRegistry r;
  EXPECT_TRUE(claim_now(r, {"live", "a"}, 2).granted());
  EXPECT_TRUE(claim_now(r, {"live", "b"}, 2).granted());
  const auto refused = claim_now(r, {"live", "c"}, 2);
  EXPECT_EQ(refused.outcome, Outcome::max_streams);
  EXPECT_EQ(refused.held, 2u);
  // A takeover adds no name: not refused by max_streams.
  const auto old = Clock::now() - 10s;
  LocalRegistry full;
  EXPECT_TRUE(claim_now(full, {"live", "a"}, 1, Clock::time_point::min(), old).granted());
  EXPECT_TRUE(claim_now(full, {"live", "a"}, 1, Clock::now() - 3s).granted());
}

TEST(LocalRegistry, TakesOverAStaleHolderWithAHigherEpoch) {
  LocalRegistry r;
  const auto first = claim_now(r, {"live", "a"}, 0, Clock::time_point::min(), Clock::now() - 10s);
  EXPECT_EQ(claim_now(r, {"live", "a"}, 0, Clock::now() - 20s).outcome, Outcome::busy);  // not stale yet
  const auto second = claim_now(r, {"live", "a"}, 0, Clock::now() - 3s);
  ASSERT_TRUE(second.granted());
  ASSERT_TRUE(second.replaced);
  EXPECT_EQ(second.replaced->ip, "1.2.3.4");
  EXPECT_GT(second.epoch, first.epoch);
  auto renewed = [&r](std::uint64_t epoch) {
    bool held = false;
    r.renew({"live", "a"}, epoch, [&held](bool h) { held = h; });
    return held;
  };
  EXPECT_FALSE(renewed(first.epoch));
  EXPECT_TRUE(renewed(second.epoch));
}

TEST(LocalRegistry, OnlyTheCurrentHolderReleases) {
  LocalRegistry r;
  const auto first = claim_now(r, {"live", "a"}, 0, Clock::time_point::min(), Clock::now() - 10s);
  const auto second = claim_now(r, {"live", "a"}, 0, Clock::now() - 3s);
  r.release({"live", "a"}, first.epoch);  // the replaced holder on its way out
  EXPECT_EQ(r.size(), 1u);
  r.release({"live", "a"}, second.epoch);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_TRUE(claim_now(r, {"live", "a"}).granted());
}

class Recorder : public StreamObserver {
 public:
  void on_publish(const PublishStart& start) override { events.push_back("publish " + start.stream.key().str()); }
  void on_unpublish(Stream& stream, std::string_view reason) override {
    events.push_back("unpublish " + stream.key().str() + " " + std::string(reason));
  }
  std::vector<std::string> events;
};

class PublicationTest : public ::testing::Test {
 protected:
  PublicationTest() { hub.add_observer(&recorder); }
  PublishResult publish(const std::string& name, std::function<void(const std::string&)> on_stop = {}) {
    PublishResult out;
    hub.publish({{"live", name}, &loop, {"1.2.3.4", "rtmp", 0, {}}, {}, config, config->find_app("live"), {}, on_stop},
                [&](PublishResult r) { out = std::move(r); });
    return out;
  }
  static std::shared_ptr<const config::Config> make_config() {
    config::Config c = config::default_config();  // one app, "live"
    c.limits.max_streams = 2;
    return std::make_shared<const config::Config>(std::move(c));
  }
  testing::ManualLoop loop;
  Hub hub;
  Recorder recorder;
  std::shared_ptr<const config::Config> config = make_config();
};

TEST_F(PublicationTest, ObserversSeeStartAndEndOnceWithTheReason) {
  auto got = publish("a");
  ASSERT_TRUE(got.claim.granted());
  ASSERT_TRUE(got.publication);
  EXPECT_EQ(hub.find({"live", "a"}).get(), &got.publication.stream());
  got.publication.publish(testing::video(0, true));
  got.publication.end("dropped");
  got.publication.end("closed");  // once only
  EXPECT_EQ(recorder.events, (std::vector<std::string>{"publish live/a", "unpublish live/a dropped"}));
  EXPECT_FALSE(hub.find({"live", "a"}));
}

TEST_F(PublicationTest, DestructionEndsWithClosedAndReleasesTheName) {
  {
    auto got = publish("a");
    ASSERT_TRUE(got.publication);
    EXPECT_FALSE(publish("a").claim.granted());  // busy while held
  }
  EXPECT_EQ(recorder.events.back(), "unpublish live/a closed");
  EXPECT_TRUE(publish("a").claim.granted());
}

TEST_F(PublicationTest, MaxStreamsRefusesWithoutObservers) {
  auto a = publish("a");
  auto b = publish("b");
  const auto c = publish("c");
  EXPECT_EQ(c.claim.outcome, Outcome::max_streams);
  EXPECT_FALSE(c.publication);
  EXPECT_EQ(recorder.events.size(), 2u);
}

TEST_F(PublicationTest, StopReachesTheSourceThroughThePublication) {
  std::string reason;
  auto got = publish("a", [&](const std::string& r) { reason = r; });
  got.publication.stream().stop("disabled");
  loop.run();
  EXPECT_EQ(reason, "disabled");
}

}  // namespace
}  // namespace liveorigin::hub
