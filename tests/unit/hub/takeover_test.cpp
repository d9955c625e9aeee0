// The stale publisher rule of Hub::claim_or_take_over: a silent publisher is replaced in one step,
// an active one keeps its stream.
#include "liveorigin/hub/hub.hpp"

#include <gtest/gtest.h>

#include "manual_loop.hpp"
#include "packets.hpp"

namespace liveorigin::hub {
namespace {

using namespace std::chrono_literals;
using Clock = Hub::Clock;
using testing::ManualLoop;
using testing::video;

class TakeoverTest : public ::testing::Test {
 protected:
  Hub::Claim claim(Clock::time_point stale_before) {
    return hub.claim_or_take_over(key, loop, {"5.6.7.8", "rtmp", 1, {}}, {}, stale_before);
  }

  ManualLoop loop;
  Hub hub;
  const StreamKey key{"live", "s"};
  std::shared_ptr<Stream> first = hub.claim(key, loop, {"1.2.3.4", "rtmp", 0, {}}, {});
};

TEST_F(TakeoverTest, ActivePublisherKeepsTheStream) {
  first->publish(video(0, true));
  // Stale would mean no media since a second ago... but it sent some just now.
  const auto got = claim(Clock::now() - 1s);
  EXPECT_FALSE(got.stream);
  EXPECT_FALSE(got.replaced);
  EXPECT_EQ(hub.find(key), first);
}

TEST_F(TakeoverTest, SilentPublisherIsReplacedInOneStep) {
  first->publish(video(0, true));
  // Seen from 4 s later with a 3 s limit: its last packet is older than the limit.
  const auto got = claim(Clock::now() + 4s - 3s);
  ASSERT_TRUE(got.stream);
  EXPECT_EQ(got.replaced, first);
  EXPECT_EQ(hub.find(key), got.stream);  // registered at once, never absent
  EXPECT_EQ(got.stream->publisher().ip, "5.6.7.8");
  EXPECT_EQ(hub.streams().size(), 1u);

  // The old publisher's release on its way out leaves the new stream alone.
  first->end();
  hub.release(*first);
  EXPECT_EQ(hub.find(key), got.stream);
}

TEST_F(TakeoverTest, PublisherThatNeverSentMediaCountsFromItsClaim) {
  EXPECT_FALSE(claim(Clock::now() - 3s).stream);
  EXPECT_TRUE(claim(Clock::now() + 1s).stream);
}

TEST_F(TakeoverTest, PlainClaimNeverTakesOver) {
  EXPECT_FALSE(hub.claim(key, loop, {"5.6.7.8", "rtmp", 1, {}}, {}));
  EXPECT_EQ(hub.find(key), first);
}

TEST_F(TakeoverTest, ReplacedStreamIsAskedToStopWithItsReason) {
  std::string reason;
  first->set_stop_handler([&](const std::string& r) { reason = r; });
  const auto got = claim(Clock::now() + 1s);
  ASSERT_TRUE(got.replaced);
  got.replaced->stop("replaced");
  loop.run();
  EXPECT_EQ(reason, "replaced");
}

}  // namespace
}  // namespace liveorigin::hub
