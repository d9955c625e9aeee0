// The hardening limits of the config: defaults, parsing, ranges.
#include <gtest/gtest.h>

#include "liveorigin/config/config.hpp"

namespace liveorigin::config {
namespace {

TEST(ConfigLimits, Defaults) {
  const auto l = default_config().limits;
  EXPECT_EQ(l.max_connections_per_ip, 1000);
  EXPECT_DOUBLE_EQ(l.idle_timeout, 30);
  EXPECT_EQ(l.max_chunk_streams, 64u);
  EXPECT_EQ(l.max_streams, 1000);
  EXPECT_DOUBLE_EQ(l.api_rate, 50);
  EXPECT_EQ(l.max_publisher_pending, 32u << 20);
  EXPECT_DOUBLE_EQ(l.stale_publisher, 3);
}

TEST(ConfigLimits, StalePublisher) {
  EXPECT_DOUBLE_EQ(parse_config("limits: { stale_publisher: 1.5 }", "l.yaml").limits.stale_publisher, 1.5);
  for (const char* bad : {"limits: { stale_publisher: 0 }", "limits: { stale_publisher: -2 }"}) {
    EXPECT_THROW(parse_config(bad, "bad.yaml"), std::exception) << bad;
  }
}

TEST(ConfigLimits, Parsed) {
  const auto l = parse_config(
                     "limits: { max_connections_per_ip: 7, idle_timeout: 2.5, max_chunk_streams: 9,\n"
                     "          max_streams: 3, api_rate: 0.5, max_publisher_pending: 4096 }\n",
                     "l.yaml")
                     .limits;
  EXPECT_EQ(l.max_connections_per_ip, 7);
  EXPECT_DOUBLE_EQ(l.idle_timeout, 2.5);
  EXPECT_EQ(l.max_chunk_streams, 9u);
  EXPECT_EQ(l.max_streams, 3);
  EXPECT_DOUBLE_EQ(l.api_rate, 0.5);
  EXPECT_EQ(l.max_publisher_pending, 4096u);
}

TEST(ConfigLimits, OutOfRange) {
  for (const char* bad : {"limits: { max_connections_per_ip: 0 }", "limits: { idle_timeout: 0 }",
                          "limits: { max_chunk_streams: 0 }", "limits: { max_chunk_streams: 70000 }",
                          "limits: { max_streams: 0 }", "limits: { api_rate: -1 }",
                          "limits: { max_publisher_pending: 0 }"}) {
    try {
      parse_config(bad, "bad.yaml");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.yaml:1:"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace liveorigin::config
