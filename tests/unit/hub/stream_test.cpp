#include "liveorigin/hub/hub.hpp"

#include <gtest/gtest.h>

#include "liveorigin/hub/fanout.hpp"

#include "manual_loop.hpp"
#include "packets.hpp"

namespace liveorigin::hub {
namespace {

using testing::ManualLoop;

// A player that reads everything it is offered.
struct Recorder : FeedReader {
  PlayerFeed player_feed{*this, {}};
  std::vector<media::PacketPtr> packets;
  int ends = 0;
  PlayerFeed& feed() override { return player_feed; }
  void on_feed() override {
    while (const auto* p = player_feed.peek()) {
      packets.push_back(*p);
      player_feed.pop();
    }
    if (player_feed.ended()) ++ends;
  }
};

class StreamTest : public ::testing::Test {
 protected:
  ManualLoop publisher_loop;
  ManualLoop other_loop;
  Hub hub;
  std::shared_ptr<Stream> stream =
      hub.claim({"live", "s"}, publisher_loop, {"1.2.3.4", "rtmp", 0, {}}, {});
};

TEST_F(StreamTest, SecondClaimIsRefusedAndFirstStaysRegistered) {
  ASSERT_TRUE(stream);
  EXPECT_EQ(hub.claim({"live", "s"}, other_loop, {}, {}), nullptr);
  EXPECT_EQ(hub.find({"live", "s"}), stream);
  hub.release(*stream);
  EXPECT_EQ(hub.find({"live", "s"}), nullptr);
}

TEST_F(StreamTest, LateJoinerStartsWithHeadersAndCurrentGop) {
  stream->publish(testing::metadata());
  stream->publish(testing::video_header());
  stream->publish(testing::audio_header());
  stream->publish(testing::video(0, true));
  stream->publish(testing::video(40, false));
  auto gop_start = testing::video(80, true);
  stream->publish(gop_start);
  stream->publish(testing::audio(90));

  auto player = std::make_shared<Recorder>();
  stream->subscribe(other_loop, player);
  publisher_loop.run();
  other_loop.run();
  ASSERT_EQ(player->packets.size(), 5u);
  EXPECT_EQ(player->packets[0]->type, media::MediaType::data);
  EXPECT_TRUE(player->packets[1]->sequence_header);
  EXPECT_TRUE(player->packets[2]->sequence_header);
  EXPECT_EQ(player->packets[3], gop_start);  // the very same shared packet, not a copy

  stream->publish(testing::video(120, false));
  other_loop.run();
  ASSERT_EQ(player->packets.size(), 6u);
  EXPECT_EQ(player->packets[5]->timestamp, 120u);
}

TEST_F(StreamTest, JoinOnPublisherLoopMissesNoPacket) {
  stream->publish(testing::video(0, true));
  auto player = std::make_shared<Recorder>();
  stream->subscribe(publisher_loop, player);
  publisher_loop.run();
  stream->publish(testing::video(40, false));
  ASSERT_EQ(player->packets.size(), 2u);
  EXPECT_EQ(player->packets[1]->timestamp, 40u);
}

TEST_F(StreamTest, EndReachesSubscribersOnEveryLoopAndLateSubscribers) {
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  stream->subscribe(publisher_loop, a);
  stream->subscribe(other_loop, b);
  publisher_loop.run();
  other_loop.run();
  stream->end();
  other_loop.run();
  EXPECT_EQ(a->ends, 1);
  EXPECT_EQ(b->ends, 1);

  auto late = std::make_shared<Recorder>();
  stream->subscribe(other_loop, late);
  publisher_loop.run();
  other_loop.run();
  EXPECT_EQ(late->ends, 1);
}

TEST_F(StreamTest, GoneSubscribersAreDropped) {
  auto player = std::make_shared<Recorder>();
  stream->subscribe(other_loop, player);
  publisher_loop.run();
  other_loop.run();
  std::weak_ptr<Recorder> weak = player;
  player.reset();
  stream->publish(testing::video(0, true));
  other_loop.run();
  EXPECT_TRUE(weak.expired());
}

TEST_F(StreamTest, StopRunsTheHandlerOnTheStreamLoop) {
  std::string got;
  stream->set_stop_handler([&](const std::string& reason) { got = reason; });
  stream->stop("dropped");
  EXPECT_TRUE(got.empty());
  publisher_loop.run();
  EXPECT_EQ(got, "dropped");
}

}  // namespace
}  // namespace liveorigin::hub
