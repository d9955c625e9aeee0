// net::Sender over a real loopback TCP connection, fed by a hub::Fanout: direct gathered writes,
// resuming after a full socket buffer, the shard's write batcher, the end of a stream and the
// write-stall limit.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>

#include "../hub/manual_loop.hpp"
#include "liveorigin/hub/fanout.hpp"
#include "liveorigin/media/packet.hpp"
#include "liveorigin/net/sender.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"

namespace liveorigin::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// An AVC key frame of `size` body bytes whose content depends on `seed`.
media::PacketPtr video(std::uint32_t timestamp, std::size_t size, std::uint8_t seed) {
  Bytes body(size, seed);
  body[0] = 0x17;  // key frame, AVC
  body[1] = 0x01;  // NALU
  return media::make_packet(media::MediaType::video, timestamp, body);
}

Bytes as_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A loop over the test's io_context whose write ticks come from a real WriteBatcher.
class BatchingLoop : public hub::Loop {
 public:
  BatchingLoop(asio::io_context& context, std::chrono::milliseconds interval)
      : context_(context), batcher_(context, interval) {}
  void post(std::function<void()> task) override { asio::post(context_, std::move(task)); }
  bool running_in_this_thread() const override { return true; }
  void at_next_write_tick(std::function<void()> flush) override { batcher_.defer(std::move(flush)); }

 private:
  asio::io_context& context_;
  WriteBatcher batcher_;
};

class SenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    server = std::make_shared<tcp::socket>(context);
    acceptor.accept(*server);
  }

  bool nodelay_after_the_start();  // defined beside the tests that use it

  // A sender playing from `fanout` (by default one that wakes its players at every packet).
  std::shared_ptr<Sender> make_sender(hub::Fanout* fanout = nullptr) {
    auto sender = std::make_shared<Sender>(server, WireFormat::flv, hub::PlayerFeed::Options{4000, 64u << 20},
                                           stats, "test");
    (fanout ? *fanout : *direct).join(sender->feed(), {});
    return sender;
  }

  // Runs the loop until `done` or the deadline; false on the deadline.
  template <typename Done>
  bool run_until(Done done, std::chrono::milliseconds limit = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      context.restart();
      context.run_for(5ms);
    }
    return true;
  }

  Bytes read_exactly(std::size_t n) {
    Bytes out(n);
    asio::read(client, asio::buffer(out));
    return out;
  }

  asio::io_context context;
  tcp::socket client{context};
  std::shared_ptr<tcp::socket> server;
  ServerStats stats;
  hub::testing::ManualLoop direct_loop;
  std::shared_ptr<hub::Fanout> direct = std::make_shared<hub::Fanout>(direct_loop);
};

TEST_F(SenderTest, WritesControlThenMediaInOrder) {
  auto sender = make_sender();
  sender->send_control(as_bytes("HEAD"));
  Bytes expected = as_bytes("HEAD");
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto packet = video(i * 40, 1000 + i, std::uint8_t(i));
    expected.insert(expected.end(), packet->flv_tag.begin(), packet->flv_tag.end());
    direct->deliver(packet);
  }
  // Without batching every write happens inside the call: nothing waits for the loop.
  EXPECT_EQ(sender->bytes_sent(), expected.size());
  EXPECT_EQ(read_exactly(expected.size()), expected);
  EXPECT_EQ(stats.bytes_out.load(), expected.size());
}

// A play reply, the stream's start and one more packet through a sender; whether the socket has
// TCP_NODELAY afterwards. Everything written arrives either way.
bool SenderTest::nodelay_after_the_start() {
  auto sender = make_sender();
  sender->send_control(as_bytes("REPLY"));
  auto packet = video(0, 1000, 1);
  direct->deliver(packet);
  direct->deliver(video(40, 1000, 2));
  asio::ip::tcp::no_delay nodelay;
  server->get_option(nodelay);
  EXPECT_EQ(read_exactly(5 + 2 * packet->flv_tag.size()).size(), 5 + 2 * packet->flv_tag.size());
  return nodelay.value();
}

// The start is written with TCP_NODELAY, then Nagle is on again.
TEST_F(SenderTest, NagleIsBackOnAfterTheFirstMediaWrite) { EXPECT_FALSE(nodelay_after_the_start()); }

// server.tcp_nodelay: the listener turns TCP_NODELAY on for good; the first write must not undo it.
TEST_F(SenderTest, ASocketWithNodelayKeepsIt) {
  server->set_option(asio::ip::tcp::no_delay(true));
  EXPECT_TRUE(nodelay_after_the_start());
}

TEST_F(SenderTest, ResumesWhereTheKernelStoppedWhenTheSocketBufferIsFull) {
  auto sender = make_sender();
  Bytes expected;
  for (std::uint32_t i = 0; i < 160; ++i) {  // 10 MiB, far more than the socket buffers hold
    auto packet = video(i, 64 * 1024, std::uint8_t(i * 7));
    expected.insert(expected.end(), packet->flv_tag.begin(), packet->flv_tag.end());
    direct->deliver(packet);
  }
  ASSERT_LT(sender->bytes_sent(), expected.size()) << "the socket took everything: the test proves nothing";
  // The sender now waits with a batch half written; this packet's pass lets the ring drop the
  // packets the sender has taken, which its batch must keep alive by itself.
  auto last = video(200, 100, 9);
  expected.insert(expected.end(), last->flv_tag.begin(), last->flv_tag.end());
  direct->deliver(last);
  EXPECT_LT(direct->packets_held(), 161u);
  Bytes received;
  std::thread reader([&] { received = read_exactly(expected.size()); });
  const bool all_sent = run_until([&] { return sender->bytes_sent() == expected.size(); });
  reader.join();
  ASSERT_TRUE(all_sent);
  EXPECT_EQ(received, expected);  // nothing lost, nothing written twice
  EXPECT_FALSE(sender->closed());
}

TEST_F(SenderTest, BatcherGathersMediaUntilItsTickButNotControl) {
  BatchingLoop loop(context, 50ms);
  auto fanout = std::make_shared<hub::Fanout>(loop);
  auto sender = make_sender(fanout.get());
  sender->send_control(as_bytes("HEAD"));
  EXPECT_EQ(sender->bytes_sent(), 4u);  // control is written at once
  std::size_t media_bytes = 0;
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto packet = video(i * 40, 500, 1);
    media_bytes += packet->flv_tag.size();
    fanout->deliver(packet);
  }
  EXPECT_EQ(sender->bytes_sent(), 4u);  // media waits for the tick
  ASSERT_TRUE(run_until([&] { return sender->bytes_sent() == 4 + media_bytes; }, 2000ms));
  EXPECT_EQ(read_exactly(4 + media_bytes).size(), 4 + media_bytes);
}

TEST_F(SenderTest, StreamEndWritesTheTailThenTheClosingWordsThenCloses) {
  BatchingLoop loop(context, 1000ms);  // the end must not wait for the tick
  auto fanout = std::make_shared<hub::Fanout>(loop);
  auto sender = make_sender(fanout.get());
  Bytes expected;
  for (std::uint32_t i = 0; i < 4; ++i) {
    auto packet = video(i * 40, 300, std::uint8_t(i));
    expected.insert(expected.end(), packet->flv_tag.begin(), packet->flv_tag.end());
    fanout->deliver(packet);
  }
  EXPECT_EQ(sender->bytes_sent(), 0u);
  sender->set_end_handler([&] {
    sender->send_control(as_bytes("BYE"));
    sender->close_after_flush();
  });
  fanout->end();
  const Bytes bye = as_bytes("BYE");
  expected.insert(expected.end(), bye.begin(), bye.end());
  EXPECT_TRUE(sender->closed());
  EXPECT_EQ(read_exactly(expected.size()), expected);
  boost::system::error_code ec;
  std::uint8_t byte = 0;
  asio::read(client, asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(SenderTest, PeerThatNeverReadsIsCutAfterTheWriteTimeout) {
  auto sender = make_sender();
  sender->set_write_timeout(200ms);
  for (std::uint32_t i = 0; i < 160; ++i) direct->deliver(video(i, 64 * 1024, 3));
  ASSERT_FALSE(sender->closed());
  ASSERT_TRUE(run_until([&] { return sender->closed(); }, 3000ms));
  EXPECT_EQ(stats.refused(Refusal::idle_timeout), 1u);
}

TEST_F(SenderTest, PeerThatReadsSlowlyIsNotCut) {
  // Small socket buffers, so that each small read frees enough room for the kernel to report
  // the socket writable again (it waits for a third of the send buffer).
  server->set_option(asio::socket_base::send_buffer_size(64 * 1024));
  client.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
  auto sender = make_sender();
  sender->set_write_timeout(400ms);
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < 16; ++i) {
    auto packet = video(i, 64 * 1024, 5);
    total += packet->flv_tag.size();
    direct->deliver(packet);
  }
  ASSERT_LT(sender->bytes_sent(), total);
  // The reader takes at most 64 KiB every 50 ms: progress, slower than the sender could go.
  std::thread reader([&] {
    Bytes chunk(64 * 1024);
    std::size_t got = 0;
    boost::system::error_code ec;
    while (got < total && !ec) {
      std::this_thread::sleep_for(50ms);
      got += client.read_some(asio::buffer(chunk.data(), std::min(chunk.size(), total - got)), ec);
    }
  });
  const bool done = run_until([&] { return sender->bytes_sent() == total || sender->closed(); }, 20000ms);
  reader.join();
  EXPECT_TRUE(done);
  EXPECT_FALSE(sender->closed());
  EXPECT_EQ(stats.refused(Refusal::idle_timeout), 0u);
}

TEST_F(SenderTest, PeerThatHasGoneClosesTheSender) {
  auto sender = make_sender();
  client.close();
  const bool closed = run_until([&] {
    direct->deliver(video(0, 1000, 1));
    return sender->closed();
  });
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace liveorigin::net
