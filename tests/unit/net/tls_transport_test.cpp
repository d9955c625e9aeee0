// The TLS transport over a socketpair with a blocking OpenSSL client on a thread: the handshake,
// a gathered write much bigger than the socket buffer (would-block, partial writes, the begun
// record offered again) arriving byte for byte, reads, and the end of the stream.
#include "liveorigin/net/tls_transport.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "liveorigin/net/certificate_store.hpp"
#include "test_certificates.hpp"

namespace liveorigin::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class TlsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("liveorigin-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    config::TlsConfig config;
    config.main = make_certificate(dir, "main", "DNS:a.test", 1);
    set = std::make_shared<const CertificateSet>(config);
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    tcp::socket socket(context);
    socket.assign(tcp::v4(), fds[0]);  // Asio does not look at the family for reads and writes
    peer_fd = fds[1];
    transport = std::make_shared<TlsTransport>(std::move(socket), set);
    client_ctx = SSL_CTX_new(TLS_client_method());
    client = SSL_new(client_ctx);
    SSL_set_fd(client, peer_fd);
  }
  void TearDown() override {
    if (peer.joinable()) peer.join();
    SSL_free(client);
    SSL_CTX_free(client_ctx);
    ::close(peer_fd);
    std::filesystem::remove_all(dir);
  }

  void handshake() {
    peer = std::thread([this] { client_ok = SSL_connect(client) == 1; });
    boost::system::error_code result = asio::error::would_block;
    transport->async_handshake([&](const boost::system::error_code& ec, const std::string&) { result = ec; });
    context.run_for(std::chrono::seconds(10));
    context.restart();
    peer.join();
    ASSERT_FALSE(result) << result.message();
    ASSERT_TRUE(client_ok);
  }

  std::filesystem::path dir;
  std::shared_ptr<const CertificateSet> set;
  asio::io_context context;
  std::shared_ptr<TlsTransport> transport;
  int peer_fd = -1;
  SSL_CTX* client_ctx = nullptr;
  SSL* client = nullptr;
  std::thread peer;
  bool client_ok = false;
};

TEST_F(TlsTransportTest, GatheredWritesArriveWholeThroughAFullSocketBuffer) {
  handshake();
  EXPECT_TRUE(transport->secure());
  EXPECT_EQ(transport->gathered_write_fd(), -1);  // no kernel TLS on a UNIX socket
  // 3 MiB in pieces of every size: audio-sized ones to gather, video-sized ones to pass on.
  std::vector<std::string> pieces;
  std::string expected;
  for (std::size_t i = 0; expected.size() < (3u << 20); ++i) {
    const std::size_t size = i % 3 == 0 ? 40000 + i : 100 + i % 700;
    pieces.emplace_back(size, static_cast<char>('a' + i % 26));
    expected += pieces.back();
  }
  std::vector<iovec> iov;
  for (auto& p : pieces) iov.push_back({p.data(), p.size()});

  std::string received;
  peer = std::thread([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the socket buffer fill first
    std::vector<char> buffer(65536);
    while (received.size() < expected.size()) {
      const int n = SSL_read(client, buffer.data(), static_cast<int>(buffer.size()));
      if (n <= 0) break;
      received.append(buffer.data(), static_cast<std::size_t>(n));
    }
  });

  std::size_t next = 0, would_blocks = 0;
  std::function<void()> write_on = [&] {
    while (next < iov.size()) {
      const auto result = transport->write_some(std::span<const iovec>(iov).subspan(next));
      if (result.would_block()) ++would_blocks;
      ASSERT_TRUE(result.error == 0 || result.would_block()) << result.error;
      for (std::size_t n = result.bytes; n > 0;) {
        const std::size_t step = std::min(n, iov[next].iov_len);
        iov[next].iov_base = static_cast<char*>(iov[next].iov_base) + step;
        iov[next].iov_len -= step;
        n -= step;
        if (iov[next].iov_len == 0) ++next;
      }
      if (result.would_block() || (next < iov.size() && result.bytes == 0)) {
        transport->async_wait_writable([&](const boost::system::error_code& ec) {
          ASSERT_FALSE(ec);
          write_on();
        });
        return;
      }
    }
  };
  write_on();
  context.run_for(std::chrono::seconds(20));
  peer.join();
  EXPECT_EQ(next, iov.size());
  EXPECT_GT(would_blocks, 0u);
  ASSERT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
}

TEST_F(TlsTransportTest, ReadsWhatTheClientSendsThenTheEnd) {
  handshake();
  peer = std::thread([&] {
    SSL_write(client, "hello", 5);
    SSL_write(client, " world", 6);
    SSL_shutdown(client);
  });
  std::string got;
  boost::system::error_code end;
  std::vector<std::uint8_t> buffer(3);  // smaller than a record: the rest waits in OpenSSL
  std::function<void()> read_on = [&] {
    transport->async_read_some(buffer, [&](const boost::system::error_code& ec, std::size_t n) {
      if (ec) {
        end = ec;
        return;
      }
      got.append(reinterpret_cast<const char*>(buffer.data()), n);
      read_on();
    });
  };
  read_on();
  context.run_for(std::chrono::seconds(10));
  EXPECT_EQ(got, "hello world");
  EXPECT_EQ(end, asio::error::eof);
  transport->close();
  EXPECT_FALSE(transport->is_open());
  EXPECT_EQ(transport->write_some(std::span<const iovec>()).error, EBADF);
}

TEST_F(TlsTransportTest, AHandshakeThatIsNotTlsFailsWithItsReason) {
  peer = std::thread([&] {
    const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)!::write(peer_fd, request, sizeof request - 1);
  });
  boost::system::error_code result;
  std::string reason;
  transport->async_handshake([&](const boost::system::error_code& ec, const std::string& why) {
    result = ec;
    reason = why;
  });
  context.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(result);
  EXPECT_EQ(reason, "http request");
}

}  // namespace
}  // namespace liveorigin::net
