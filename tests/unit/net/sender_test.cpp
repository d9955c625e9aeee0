// net::Sender over a real loopback TCP connection: direct gathered writes, resuming after a full
// socket buffer, the shard's write batcher, the end of a stream and the write-stall limit.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

#include "liveorigin/media/packet.hpp"
#include "liveorigin/net/sender.hpp"
#include "liveorigin/net/server_context.hpp"

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

class SenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    server = std::make_shared<tcp::socket>(context);
    acceptor.accept(*server);
  }

  std::shared_ptr<Sender> make_sender(WriteBatcher* batcher = nullptr) {
    return std::make_shared<Sender>(server, WireFormat::flv, hub::PlayerQueue::Options{4000, 64u << 20},
                                    stats, "test", batcher);
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
};

TEST_F(SenderTest, WritesControlThenMediaInOrder) {
  auto sender = make_sender();
  sender->send_control(as_bytes("HEAD"));
  Bytes expected = as_bytes("HEAD");
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto packet = video(i * 40, 1000 + i, std::uint8_t(i));
    expected.insert(expected.end(), packet->flv_tag.begin(), packet->flv_tag.end());
    sender->on_packet(packet);
  }
  // Without a batcher every write happens inside the call: nothing waits for the loop.
  EXPECT_EQ(sender->bytes_sent(), expected.size());
  EXPECT_EQ(read_exactly(expected.size()), expected);
  EXPECT_EQ(stats.bytes_out.load(), expected.size());
}

TEST_F(SenderTest, ResumesWhereTheKernelStoppedWhenTheSocketBufferIsFull) {
  auto sender = make_sender();
  Bytes expected;
  for (std::uint32_t i = 0; i < 160; ++i) {  // 10 MiB, far more than the socket buffers hold
    auto packet = video(i, 64 * 1024, std::uint8_t(i * 7));
    expected.insert(expected.end(), packet->flv_tag.begin(), packet->flv_tag.end());
    sender->on_packet(packet);
  }
  ASSERT_LT(sender->bytes_sent(), expected.size()) << "the socket took everything: the test proves nothing";
  Bytes received;
  std::thread reader([&] { received = read_exactly(expected.size()); });
  const bool all_sent = run_until([&] { return sender->bytes_sent() == expected.size(); });
  reader.join();
  ASSERT_TRUE(all_sent);
  EXPECT_EQ(received, expected);  // nothing lost, nothing written twice
  EXPECT_FALSE(sender->closed());
}

TEST_F(SenderTest, BatcherGathersMediaUntilItsTickButNotControl) {
  WriteBatcher batcher(context, 50ms);
  auto sender = make_sender(&batcher);
  sender->send_control(as_bytes("HEAD"));
  EXPECT_EQ(sender->bytes_sent(), 4u);  // control is written at once
  std::size_t media_bytes = 0;
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto packet = video(i * 40, 500, 1);
    media_bytes += packet->flv_tag.size();
    sender->on_packet(packet);
  }
  EXPECT_EQ(sender->bytes_sent(), 4u);  // media waits for the tick
  ASSERT_TRUE(run_until([&] { return sender->bytes_sent() == 4 + media_bytes; }, 2000ms));
  EXPECT_EQ(read_exactly(4 + media_bytes).size(), 4 + media_bytes);
}

TEST_F(SenderTest, StreamEndWritesTheTailThenTheClosingWordsThenCloses) {
  WriteBatcher batcher(context, 1000ms);  // the end must not wait for the tick
  auto sender = make_sender(&batcher);
  Bytes expected;
  for (std::uint32_t i = 0; i < 4; ++i) {
    auto packet = video(i * 40, 300, std::uint8_t(i));
    expected.insert(expected.end(), packet->flv_tag.begin(), packet->flv_tag.end());
    sender->on_packet(packet);
  }
  sender->set_end_handler([&] {
    sender->send_control(as_bytes("BYE"));
    sender->close_after_flush();
  });
  sender->on_stream_end();
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
  for (std::uint32_t i = 0; i < 160; ++i) sender->on_packet(video(i, 64 * 1024, 3));
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
    sender->on_packet(packet);
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
    sender->on_packet(video(0, 1000, 1));
    return sender->closed();
  });
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace liveorigin::net
