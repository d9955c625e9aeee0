#include "liveorigin/hub/fanout.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>

#include "manual_loop.hpp"
#include "packets.hpp"

namespace liveorigin::hub {
namespace {

using testing::ManualLoop;

// A player that reads what it is offered unless paused (a viewer whose socket is full).
struct Reader : FeedReader {
  explicit Reader(PlayerFeed::Options options = {}) : player_feed(*this, options) {}
  PlayerFeed player_feed;
  bool paused = false;
  int wakes = 0;
  std::function<void()> on_wake;  // runs before reading
  std::vector<media::PacketPtr> packets;

  PlayerFeed& feed() override { return player_feed; }
  void on_feed() override {
    ++wakes;
    if (on_wake) on_wake();
    if (!paused) read();
  }
  void read() {
    while (const auto* p = player_feed.peek()) {
      packets.push_back(*p);
      player_feed.pop();
    }
  }
};

class FanoutTest : public ::testing::Test {
 protected:
  // `count` readers joined to `to` with no cached start.
  static std::vector<std::unique_ptr<Reader>> join_readers(Fanout& to, int count) {
    std::vector<std::unique_ptr<Reader>> readers;
    for (int i = 0; i < count; ++i) {
      readers.push_back(std::make_unique<Reader>());
      to.join(readers.back()->feed(), {});
    }
    return readers;
  }

  ManualLoop loop;
  std::shared_ptr<Fanout> fanout = std::make_shared<Fanout>(loop);
};

TEST_F(FanoutTest, VideoStartsOnAKeyframeAudioPasses) {
  Reader reader;
  fanout->join(reader.feed(), {});
  fanout->deliver(testing::video_header());
  fanout->deliver(testing::video(0, false));
  fanout->deliver(testing::audio(10));
  fanout->deliver(testing::video(40, true));
  ASSERT_EQ(reader.packets.size(), 3u);
  EXPECT_TRUE(reader.packets[0]->sequence_header);
  EXPECT_TRUE(reader.packets[1]->is_audio());
  EXPECT_TRUE(reader.packets[2]->keyframe);
  EXPECT_EQ(reader.feed().dropped_packets(), 1u);
}

TEST_F(FanoutTest, JoinWritesTheCachedStartAtOnceThenLivePackets) {
  ManualLoop gathering(true);
  auto batched = std::make_shared<Fanout>(gathering);
  Reader reader;
  auto key = testing::video(0, true);
  batched->join(reader.feed(), {testing::video_header(), key});
  ASSERT_EQ(reader.packets.size(), 2u);  // no tick needed for the start
  EXPECT_EQ(reader.packets[1], key);     // the very same shared packet
  batched->deliver(testing::video(40, false));
  EXPECT_EQ(reader.packets.size(), 2u);
  gathering.tick();
  EXPECT_EQ(reader.packets.size(), 3u);
}

TEST_F(FanoutTest, ReadersWakeOncePerTickWhateverTheNumberOfPackets) {
  ManualLoop gathering(true);
  auto batched = std::make_shared<Fanout>(gathering);
  Reader a, b;
  batched->join(a.feed(), {});
  batched->join(b.feed(), {});
  const int woken = a.wakes;
  for (std::uint32_t ts = 0; ts < 200; ts += 40) batched->deliver(testing::video(ts, ts == 0));
  EXPECT_EQ(a.wakes, woken);
  gathering.tick();
  EXPECT_EQ(a.wakes, woken + 1);
  EXPECT_EQ(a.packets.size(), 5u);
  EXPECT_EQ(b.packets.size(), 5u);
  EXPECT_EQ(batched->packets_held(), 0u);  // both have read everything
}

TEST_F(FanoutTest, PhasesWakeAQuarterOfTheReadersPerTickAndAllOfThemPerInterval) {
  ManualLoop gathering(true, 4);
  auto batched = std::make_shared<Fanout>(gathering);
  auto readers = join_readers(*batched, 8);
  batched->deliver(testing::video(0, true));
  auto served = [&] {
    return std::count_if(readers.begin(), readers.end(), [](const auto& r) { return r->packets.size() == 1; });
  };
  for (int tick = 1; tick <= 4; ++tick) {
    gathering.tick();
    EXPECT_EQ(served(), 2 * tick);
    EXPECT_EQ(batched->packets_held(), tick < 4 ? 1u : 0u);  // kept until the last phase read it
  }
  gathering.tick();  // nothing new: no further tick was asked for
  EXPECT_EQ(served(), 8);
}

TEST_F(FanoutTest, SlowReaderLosesNothingWhenOthersLeaveBetweenTicks) {
  ManualLoop gathering(true, 4);
  auto batched = std::make_shared<Fanout>(gathering);
  auto readers = join_readers(*batched, 8);
  Reader& slow = *readers.back();
  slow.paused = true;
  std::uint32_t ts = 0;
  for (int round = 0; round < 3; ++round) {
    readers.erase(readers.begin());  // another player leaves: the slow one must keep its packets
    for (int tick = 0; tick < 4; ++tick) {
      batched->deliver(testing::video(ts, ts == 0));
      ts += 40;
      gathering.tick();
    }
  }
  slow.paused = false;
  slow.read();
  ASSERT_EQ(slow.packets.size(), 12u);
  for (std::size_t i = 0; i < slow.packets.size(); ++i) EXPECT_EQ(slow.packets[i]->timestamp, 40 * i);
}

TEST_F(FanoutTest, RingKeepsPacketsUntilTheSlowestReaderHasReadThem) {
  Reader fast, slow;
  fanout->join(fast.feed(), {});
  fanout->join(slow.feed(), {});
  slow.paused = true;
  for (std::uint32_t ts = 0; ts < 400; ts += 40) fanout->deliver(testing::video(ts, ts == 0));
  EXPECT_EQ(fast.packets.size(), 10u);
  EXPECT_EQ(fanout->packets_held(), 10u);
  slow.paused = false;
  slow.read();
  fanout->deliver(testing::video(400, false));  // the next pass lets the read packets go
  EXPECT_EQ(slow.packets.size(), 11u);
  EXPECT_EQ(fanout->packets_held(), 0u);
}

TEST_F(FanoutTest, SlowPlayerSkipsToNextKeyframeKeepingHeaders) {
  Reader slow({1000, 1u << 20});
  fanout->join(slow.feed(), {});
  slow.paused = true;
  fanout->deliver(testing::video_header());
  for (std::uint32_t ts = 0; ts <= 1000; ts += 40) fanout->deliver(testing::video(ts, ts == 0));
  EXPECT_EQ(slow.feed().skips(), 0u);
  fanout->deliver(testing::video(1040, false));  // the unread span now exceeds 1 s: skip
  EXPECT_EQ(slow.feed().skips(), 1u);
  EXPECT_EQ(fanout->packets_held(), 0u);  // the skipped packets are let go
  fanout->deliver(testing::video(1080, false));  // still waiting for a key frame
  fanout->deliver(testing::video(1120, true));
  slow.paused = false;
  slow.read();
  ASSERT_EQ(slow.packets.size(), 2u);
  EXPECT_TRUE(slow.packets[0]->sequence_header);
  EXPECT_EQ(slow.packets[1]->timestamp, 1120u);
}

TEST_F(FanoutTest, ByteBoundHoldsEvenWithBrokenTimestamps) {
  Reader slow({4000, 10000});
  fanout->join(slow.feed(), {});
  slow.paused = true;
  fanout->deliver(testing::video(0, true, 4000));
  fanout->deliver(testing::video(0, false, 4000));
  EXPECT_EQ(slow.feed().skips(), 0u);
  fanout->deliver(testing::video(0, false, 4000));  // 12 KB unread
  EXPECT_EQ(slow.feed().skips(), 1u);
}

TEST_F(FanoutTest, OversizedStartIsSkippedAtJoin) {
  Reader reader({1000, 1u << 20});
  fanout->join(reader.feed(), {testing::video_header(), testing::video(0, true),
                               testing::video(1500, false)});
  EXPECT_EQ(reader.feed().skips(), 1u);
  ASSERT_EQ(reader.packets.size(), 1u);
  EXPECT_TRUE(reader.packets[0]->sequence_header);
}

TEST_F(FanoutTest, ReaderMayLeaveWhileItIsBeingWoken) {
  Reader a, b;
  fanout->join(a.feed(), {});
  fanout->join(b.feed(), {});
  a.on_wake = [&] { a.feed().leave(); };
  fanout->deliver(testing::video(0, true));
  EXPECT_EQ(fanout->readers(), 1u);
  EXPECT_EQ(b.packets.size(), 1u);
  EXPECT_TRUE(a.packets.empty());
  {
    Reader gone;
    fanout->join(gone.feed(), {});
    EXPECT_EQ(fanout->readers(), 2u);
  }
  EXPECT_EQ(fanout->readers(), 1u);  // a destroyed feed leaves by itself
}

TEST_F(FanoutTest, EndLetsReadersFinishWhatIsUnread) {
  Reader reader;
  fanout->join(reader.feed(), {});
  reader.paused = true;
  fanout->deliver(testing::video(0, true));
  reader.paused = false;
  fanout->end();
  EXPECT_TRUE(reader.feed().ended());
  EXPECT_EQ(reader.packets.size(), 1u);
  fanout->deliver(testing::video(40, false));  // nothing follows the end
  EXPECT_EQ(reader.packets.size(), 1u);
}

}  // namespace
}  // namespace liveorigin::hub
