// net::WriteWatch (limits.idle_timeout for HTTP replies and VOD files) over a real loopback TCP
// connection with small socket buffers: a peer that never reads is cut, one that reads slowly is
// not, and time between writes never counts.
#include "liveorigin/net/write_watch.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>

#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class WriteWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
    client.open(tcp::v4());
    client.set_option(asio::socket_base::receive_buffer_size(4096));  // before connect: sets the window
    client.connect(acceptor.local_endpoint());
    server = std::make_shared<tcp::socket>(context);
    acceptor.accept(*server);
    server->set_option(asio::socket_base::send_buffer_size(4096));
  }

  std::shared_ptr<WriteWatch> make_watch(std::chrono::milliseconds timeout) {
    return std::make_shared<WriteWatch>(server, stats, timeout, "test 127.0.0.1");
  }

  // Writes `data` through `watch`; the result lands in ec_/written_ when it completes.
  void write(WriteWatch& watch, const std::vector<char>& data) {
    done_.reset();
    watch.async_write(asio::buffer(data), [this](const boost::system::error_code& ec, std::size_t n) {
      done_ = ec;
      written_ = n;
    });
  }

  // Runs the loop until `done` or the deadline; false on the deadline.
  template <typename Done>
  bool run_until(Done done, std::chrono::milliseconds limit = 10000ms) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      context.restart();
      context.run_for(5ms);
    }
    return true;
  }

  asio::io_context context;
  tcp::socket client{context};
  std::shared_ptr<tcp::socket> server;
  ServerStats stats;
  std::optional<boost::system::error_code> done_;
  std::size_t written_ = 0;
};

TEST_F(WriteWatchTest, CutsAPeerThatNeverReads) {
  auto watch = make_watch(200ms);
  const std::vector<char> data(8 << 20, 'x');  // far more than both socket buffers hold
  const auto start = Clock::now();
  write(*watch, data);
  ASSERT_TRUE(run_until([&] { return done_.has_value(); }));
  EXPECT_TRUE(*done_) << "the write should have been aborted";
  EXPECT_LT(written_, data.size());
  EXPECT_GE(Clock::now() - start, 200ms);
  EXPECT_TRUE(watch->cut());
  EXPECT_FALSE(server->is_open());
  EXPECT_EQ(stats.refused(Refusal::idle_timeout), 1u);
}

TEST_F(WriteWatchTest, KeepsAWriteThatProgressesSlowly) {
  auto watch = make_watch(300ms);
  const std::vector<char> data(1 << 20, 'y');
  // The peer reads 32 KiB every 50 ms: the whole write takes several timeouts, but it never
  // stalls for one.
  std::vector<char> received;
  std::vector<char> piece(32 << 10);
  asio::steady_timer pause(context);
  std::function<void()> read_some = [&] {
    asio::async_read(client, asio::buffer(piece), [&](const boost::system::error_code& ec, std::size_t n) {
      received.insert(received.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n));
      if (ec || received.size() >= data.size()) return;
      pause.expires_after(50ms);
      pause.async_wait([&](const boost::system::error_code&) { read_some(); });
    });
  };
  const auto start = Clock::now();
  write(*watch, data);
  read_some();
  ASSERT_TRUE(run_until([&] { return done_.has_value() && received.size() >= data.size(); }, 30000ms));
  EXPECT_FALSE(*done_) << done_->message();
  EXPECT_EQ(written_, data.size());
  EXPECT_EQ(received, data);
  EXPECT_GT(Clock::now() - start, 300ms) << "the test needs a write longer than the timeout";
  EXPECT_FALSE(watch->cut());
  EXPECT_EQ(stats.refused(Refusal::idle_timeout), 0u);
}

TEST_F(WriteWatchTest, TimeBetweenWritesDoesNotCount) {
  auto watch = make_watch(100ms);
  const std::vector<char> data(10, 'z');
  write(*watch, data);
  ASSERT_TRUE(run_until([&] { return done_.has_value(); }));
  EXPECT_FALSE(*done_);
  // An idle keep-alive connection, several timeouts long: nothing is in flight, nothing is cut.
  bool idle_over = false;
  asio::steady_timer idle(context, 400ms);
  idle.async_wait([&](const boost::system::error_code&) { idle_over = true; });
  ASSERT_TRUE(run_until([&] { return idle_over; }));
  EXPECT_TRUE(server->is_open());
  write(*watch, data);
  ASSERT_TRUE(run_until([&] { return done_.has_value(); }));
  EXPECT_FALSE(*done_);
  std::vector<char> received(20);
  asio::read(client, asio::buffer(received));
  EXPECT_FALSE(watch->cut());
  EXPECT_EQ(stats.refused(Refusal::idle_timeout), 0u);
}

}  // namespace
}  // namespace liveorigin::net
