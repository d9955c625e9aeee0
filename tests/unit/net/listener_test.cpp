// The listener: a connection's place in max_connections is taken at accept, and
// server.tcp_nodelay turns Nagle off on the accepted socket before any session sees it.
#include "liveorigin/net/listener.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>

#include "liveorigin/hub/hub.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"

namespace liveorigin::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

struct Accepted {
  bool nodelay = false;
  std::int64_t counted = 0;  // the tally when the handler ran
};

class ListenerTest : public ::testing::Test {
 protected:
  // Starts a server context with `config` and a listener whose handler reports each connection.
  void start(config::Config config) {
    store = std::make_unique<config::ConfigStore>(std::move(config));
    context.reset(new ServerContext{hub, *store, shards, {}, {}});  // not movable: atomics
    listener = std::make_shared<Listener>(*context, config::Endpoint{"127.0.0.1", 0}, "test",
                                          [this](tcp::socket socket, Shard&, ConnectionCount place) {
                                            tcp::no_delay nodelay;
                                            socket.get_option(nodelay);
                                            accepted.set_value({nodelay.value(), context->stats.connections.load()});
                                            held.push_back(std::move(place));  // shard thread only
                                          });
    listener->start();
    shards.start();
  }
  ~ListenerTest() override {
    listener->close();
    shards.stop();
    shards.join();
  }
  Accepted connect() {
    client.connect({asio::ip::make_address("127.0.0.1"), listener->port()});
    auto result = accepted.get_future();
    EXPECT_EQ(result.wait_for(10s), std::future_status::ready);
    return result.get();
  }

  hub::Hub hub;
  Shards shards{1};
  std::unique_ptr<config::ConfigStore> store;
  std::unique_ptr<ServerContext> context;
  std::shared_ptr<Listener> listener;
  std::promise<Accepted> accepted;
  std::vector<ConnectionCount> held;
  asio::io_context client_context;
  tcp::socket client{client_context};
};

TEST_F(ListenerTest, TakesThePlaceAtAcceptAndKeepsNagleByDefault) {
  start(config::default_config());
  const auto got = connect();
  EXPECT_EQ(got.counted, 1);  // counted before the session started
  EXPECT_FALSE(got.nodelay);
}

TEST_F(ListenerTest, TcpNodelayIsSetOnAcceptedSockets) {
  auto config = config::default_config();
  config.server.tcp_nodelay = true;
  start(std::move(config));
  EXPECT_TRUE(connect().nodelay);
}

}  // namespace
}  // namespace liveorigin::net
