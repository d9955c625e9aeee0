// The cluster section: defaults (single node), the Redis URL, node id, advertise addresses, lease.
#include <gtest/gtest.h>

#include "liveorigin/config/config.hpp"

namespace liveorigin::config {
namespace {

TEST(ClusterConfig, DefaultIsASingleNode) {
  const auto c = default_config().cluster;
  EXPECT_FALSE(c.enabled());
  EXPECT_FALSE(c.node_id.empty());  // the host name
  EXPECT_DOUBLE_EQ(c.lease, 10);
  EXPECT_NE(c.advertise_rtmp.find(":1935"), std::string::npos);
  EXPECT_NE(c.advertise_http.find(":8080"), std::string::npos);
  // Empty values as the shipped config writes them: the same defaults.
  const auto empty = parse_config("cluster: { redis: \"\", node_id: \"\", advertise: { rtmp: \"\" } }", "c.yaml").cluster;
  EXPECT_EQ(empty, c);
}

TEST(ClusterConfig, Parsed) {
  const auto c = parse_config(
                     "cluster:\n"
                     "  redis: \"redis://:s3cret@10.0.0.9:6380/2\"\n"
                     "  node_id: edge-1\n"
                     "  advertise: { rtmp: \"10.0.0.5:1935\", http: \"[fd00::5]:8080\" }\n"
                     "  lease: 4.5\n",
                     "c.yaml")
                     .cluster;
  EXPECT_TRUE(c.enabled());
  EXPECT_EQ(c.redis_address, (RedisAddress{"10.0.0.9", 6380, 2, "s3cret"}));
  EXPECT_EQ(c.node_id, "edge-1");
  EXPECT_EQ(c.advertise_rtmp, "10.0.0.5:1935");
  EXPECT_EQ(c.advertise_http, "[fd00::5]:8080");
  EXPECT_DOUBLE_EQ(c.lease, 4.5);
}

TEST(ClusterConfig, RedisUrls) {
  EXPECT_EQ(parse_redis_url("redis://127.0.0.1"), (RedisAddress{"127.0.0.1", 6379, 0, ""}));
  EXPECT_EQ(parse_redis_url("redis://redis.internal:7000/"), (RedisAddress{"redis.internal", 7000, 0, ""}));
  EXPECT_EQ(parse_redis_url("redis://user:pw@[::1]:6379/3"), (RedisAddress{"::1", 6379, 3, "pw"}));
  for (const char* bad : {"http://x:6379", "redis://", "redis://h:0", "redis://h:99999", "redis://h/x",
                          "redis://h h:1"}) {
    EXPECT_THROW(parse_redis_url(bad), ConfigError) << bad;
  }
}

TEST(ClusterConfig, ErrorsSayFileAndLine) {
  for (const char* bad : {"cluster:\n  redis: \"tcp://x\"\n", "cluster:\n  node_id: \"a b\"\n",
                          "cluster:\n  lease: 0.5\n", "cluster:\n  advertise: { rtmp: \"10.0.0.5\" }\n",
                          "cluster:\n  nodes: 3\n"}) {
    try {
      parse_config(bad, "bad.yaml");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.yaml:2:"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace liveorigin::config
