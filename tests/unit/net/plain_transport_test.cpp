// The plain transport over a socketpair: a gathered write, a full socket buffer then resuming once
// the peer reads, reads, and close.
#include "liveorigin/net/plain_transport.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

namespace liveorigin::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A connected pair: the server side as a tcp::socket (the transport's), the other a plain fd.
class PlainTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    auto socket = std::make_shared<tcp::socket>(context);
    socket->assign(tcp::v4(), fds[0]);  // Asio does not look at the family for reads and writes
    peer_ = fds[1];
    transport = std::make_shared<PlainTransport>(socket);
  }
  void TearDown() override { ::close(peer_); }

  std::string read_peer(std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      const auto r = ::read(peer_, out.data() + got, n - got);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }

  asio::io_context context;
  std::shared_ptr<PlainTransport> transport;
  int peer_ = -1;
};

TEST_F(PlainTransportTest, WritesGatheredBuffersInOrder) {
  std::string a = "hello ", b = "gathered ", c = "world";
  const iovec iov[] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
  const auto result = transport->write_some(iov);
  EXPECT_EQ(result.error, 0);
  EXPECT_EQ(result.bytes, a.size() + b.size() + c.size());
  EXPECT_EQ(read_peer(result.bytes), "hello gathered world");
  EXPECT_EQ(transport->gathered_write_fd(), transport->native_handle());
  EXPECT_FALSE(transport->secure());
}

TEST_F(PlainTransportTest, WouldBlockThenResumesWhenThePeerReads) {
  std::vector<char> chunk(64 * 1024, 'x');
  const iovec iov[] = {{chunk.data(), chunk.size()}};
  std::size_t written = 0;
  Transport::WriteResult result;
  for (int i = 0; i < 1000; ++i) {  // fill the socket buffers
    result = transport->write_some(iov);
    if (result.error != 0) break;
    written += result.bytes;
  }
  ASSERT_TRUE(result.would_block()) << "the socket never filled";
  bool writable = false;
  transport->async_wait_writable([&](const boost::system::error_code& ec) { writable = !ec; });
  context.run_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(writable);  // nobody read yet
  EXPECT_EQ(read_peer(written).size(), written);
  context.restart();
  for (int i = 0; i < 200 && !writable; ++i) context.run_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(writable);
  EXPECT_GT(transport->write_some(iov).bytes, 0u);
}

TEST_F(PlainTransportTest, ReadsAndCloses) {
  ASSERT_EQ(::write(peer_, "ping", 4), 4);
  std::vector<std::uint8_t> buffer(16);
  std::size_t got = 0;
  transport->async_read_some(buffer, [&](const boost::system::error_code& ec, std::size_t n) {
    if (!ec) got = n;
  });
  context.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(std::string(buffer.begin(), buffer.begin() + static_cast<long>(got)), "ping");

  boost::system::error_code read_ec;
  transport->async_read_some(buffer, [&](const boost::system::error_code& ec, std::size_t) { read_ec = ec; });
  transport->close();
  transport->close();  // twice is fine
  context.restart();
  context.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(read_ec, asio::error::operation_aborted);
  EXPECT_FALSE(transport->is_open());
  EXPECT_NE(transport->write_some({}).error, 0);  // nothing more goes out
  char c;
  EXPECT_EQ(::read(peer_, &c, 1), 0);  // the peer sees the end
}

}  // namespace
}  // namespace liveorigin::net
