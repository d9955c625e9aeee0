// Connection limits at accept (max_connections, max_connections_per_ip), shared by the media
// listener and the API listener, and the tallies they check against.
#include "liveorigin/net/connection_count.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace liveorigin::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class ConnectionLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    acceptor.accept(accepted);
    limits.max_connections = 3;
    limits.max_connections_per_ip = 2;
  }

  asio::io_context context;
  tcp::socket client{context};
  tcp::socket accepted{context};
  config::Limits limits;
  PeerConnections peers;
  ServerStats stats;
};

TEST_F(ConnectionLimits, AdmitsUnderBothLimits) {
  peers.add("127.0.0.1");
  EXPECT_TRUE(admit_connection("test", accepted, limits, 2, peers, stats));
  EXPECT_EQ(stats.refused(Refusal::max_connections), 0u);
  EXPECT_EQ(stats.refused(Refusal::max_connections_per_ip), 0u);
}

TEST_F(ConnectionLimits, RefusesPastTheTotal) {
  EXPECT_FALSE(admit_connection("test", accepted, limits, 3, peers, stats));
  EXPECT_EQ(stats.refused(Refusal::max_connections), 1u);
  EXPECT_EQ(stats.refused(Refusal::max_connections_per_ip), 0u);
}

TEST_F(ConnectionLimits, RefusesPastThePerAddressLimit) {
  peers.add("127.0.0.1");
  peers.add("127.0.0.1");
  peers.add("10.0.0.1");
  EXPECT_FALSE(admit_connection("test", accepted, limits, 0, peers, stats));
  EXPECT_EQ(stats.refused(Refusal::max_connections_per_ip), 1u);
  peers.remove("127.0.0.1");
  EXPECT_TRUE(admit_connection("test", accepted, limits, 0, peers, stats));
}

TEST_F(ConnectionLimits, CountsInTheTallyItIsGiven) {
  std::atomic<std::int64_t> api_total{0};
  PeerConnections api_peers;
  {
    ConnectionCount api(api_total, api_peers, accepted);
    ConnectionCount media(stats, accepted);
    EXPECT_EQ(api_total.load(), 1);
    EXPECT_EQ(api_peers.count("127.0.0.1"), 1);
    EXPECT_EQ(stats.connections.load(), 1);
    EXPECT_EQ(stats.peers.count("127.0.0.1"), 1);
  }
  EXPECT_EQ(api_total.load(), 0);
  EXPECT_EQ(api_peers.count("127.0.0.1"), 0);
  EXPECT_EQ(stats.connections.load(), 0);
  EXPECT_EQ(stats.peers.count("127.0.0.1"), 0);
}

}  // namespace
}  // namespace liveorigin::net
