// Refusal counters and the per-address connection count.
#include <gtest/gtest.h>

#include <string_view>

#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {
namespace {

TEST(Refusals, EveryReasonHasAMetricLabel) {
  for (const char* name : kRefusalNames) {
    ASSERT_NE(name, nullptr);
    for (char c : std::string_view(name)) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
  }
  ServerStats stats;
  stats.refuse(Refusal::idle_timeout);
  stats.refuse(Refusal::idle_timeout);
  EXPECT_EQ(stats.refused(Refusal::idle_timeout), 2u);
  EXPECT_EQ(stats.refused(Refusal::api_rate), 0u);
}

TEST(Refusals, PeerConnectionsCountPerAddress) {
  PeerConnections peers;
  peers.add("10.0.0.1");
  peers.add("10.0.0.1");
  peers.add("10.0.0.2");
  EXPECT_EQ(peers.count("10.0.0.1"), 2);
  EXPECT_EQ(peers.count("10.0.0.3"), 0);
  peers.remove("10.0.0.1");
  peers.remove("10.0.0.1");
  peers.remove("10.0.0.1");  // more removes than adds: stays at zero
  EXPECT_EQ(peers.count("10.0.0.1"), 0);
  EXPECT_EQ(peers.count("10.0.0.2"), 1);
}

}  // namespace
}  // namespace liveorigin::net
