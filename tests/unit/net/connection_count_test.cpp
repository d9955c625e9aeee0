// Connection limits at accept (max_connections, max_connections_per_ip), shared by the media
// listener and the API listener, and the tallies they check against.
#include "liveorigin/net/connection_count.hpp"

#include <gtest/gtest.h>

#include <vector>

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

  std::optional<ConnectionCount> admit() {
    return admit_connection("test", accepted, limits, stats.connections, stats.peers, stats);
  }

  asio::io_context context;
  tcp::socket client{context};
  tcp::socket accepted{context};
  config::Limits limits;
  ServerStats stats;
};

TEST_F(ConnectionLimits, AdmitsUnderBothLimitsAndCountsAtOnce) {
  stats.peers.add("127.0.0.1");
  stats.connections = 2;
  {
    const auto place = admit();
    ASSERT_TRUE(place);
    EXPECT_EQ(stats.connections.load(), 3);
    EXPECT_EQ(stats.peers.count("127.0.0.1"), 2);
    EXPECT_EQ(stats.refused(Refusal::max_connections), 0u);
    EXPECT_EQ(stats.refused(Refusal::max_connections_per_ip), 0u);
  }
  EXPECT_EQ(stats.connections.load(), 2);
  EXPECT_EQ(stats.peers.count("127.0.0.1"), 1);
}

TEST_F(ConnectionLimits, RefusesPastTheTotal) {
  stats.connections = 3;
  EXPECT_FALSE(admit());
  EXPECT_EQ(stats.connections.load(), 3);
  EXPECT_EQ(stats.refused(Refusal::max_connections), 1u);
  EXPECT_EQ(stats.refused(Refusal::max_connections_per_ip), 0u);
}

// A burst of accepts, before any session has started: the places taken at accept stop the one
// past the limit.
TEST_F(ConnectionLimits, ABurstOfAcceptsStopsAtTheLimit) {
  limits.max_connections_per_ip = 100;
  std::vector<ConnectionCount> held;
  while (auto place = admit()) held.push_back(std::move(*place));
  EXPECT_EQ(held.size(), 3u);
  EXPECT_EQ(stats.refused(Refusal::max_connections), 1u);
  held.pop_back();
  EXPECT_TRUE(admit());
}

TEST_F(ConnectionLimits, RefusesPastThePerAddressLimit) {
  stats.peers.add("127.0.0.1");
  stats.peers.add("127.0.0.1");
  stats.peers.add("10.0.0.1");
  EXPECT_FALSE(admit());
  EXPECT_EQ(stats.refused(Refusal::max_connections_per_ip), 1u);
  stats.peers.remove("127.0.0.1");
  EXPECT_TRUE(admit());
}

TEST_F(ConnectionLimits, CountsInTheTallyItIsGiven) {
  std::atomic<std::int64_t> api_total{0};
  PeerConnections api_peers;
  {
    const auto api = admit_connection("api", accepted, limits, api_total, api_peers, stats);
    ASSERT_TRUE(api);
    EXPECT_EQ(api_total.load(), 1);
    EXPECT_EQ(api_peers.count("127.0.0.1"), 1);
    EXPECT_EQ(stats.connections.load(), 0);
    EXPECT_EQ(stats.peers.count("127.0.0.1"), 0);
  }
  EXPECT_EQ(api_total.load(), 0);
  EXPECT_EQ(api_peers.count("127.0.0.1"), 0);
}

TEST_F(ConnectionLimits, AMovedPlaceIsReleasedOnce) {
  {
    auto place = admit();
    ASSERT_TRUE(place);
    ConnectionCount moved(std::move(*place));
    place.reset();
    EXPECT_EQ(stats.connections.load(), 1);
  }
  EXPECT_EQ(stats.connections.load(), 0);
  EXPECT_EQ(stats.peers.count("127.0.0.1"), 0);
}

}  // namespace
}  // namespace liveorigin::net
