// The pull credential: signed for one app, stream, node and expiry; anything else is not a pull.
#include "liveorigin/access/cluster_pull.hpp"

#include <gtest/gtest.h>

#include "liveorigin/access/access.hpp"
#include "liveorigin/common/query.hpp"

namespace liveorigin::access {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

TEST(ClusterPull, AValidCredentialNamesTheNode) {
  const auto query = common::parse_query(pull_query("s3cret", "live", "cam", "edge-1", kNow + 60));
  EXPECT_EQ(check_pull("s3cret", "live", "cam", query, kNow), "edge-1");
  EXPECT_EQ(check_pull("s3cret", "live", "cam", query, kNow + 60), "edge-1");
}

TEST(ClusterPull, AnythingChangedIsRefused) {
  const auto query = common::parse_query(pull_query("s3cret", "live", "cam", "edge-1", kNow + 60));
  EXPECT_EQ(check_pull("other", "live", "cam", query, kNow), std::nullopt);
  EXPECT_EQ(check_pull("s3cret", "live", "cam2", query, kNow), std::nullopt);
  EXPECT_EQ(check_pull("s3cret", "vod", "cam", query, kNow), std::nullopt);
  EXPECT_EQ(check_pull("s3cret", "live", "cam", query, kNow + 61), std::nullopt);  // expired
  EXPECT_EQ(check_pull("", "live", "cam", query, kNow), std::nullopt);             // no secret yet
  auto other_node = query;
  other_node["cluster_node"] = "edge-2";
  EXPECT_EQ(check_pull("s3cret", "live", "cam", other_node, kNow), std::nullopt);
  auto later = query;
  later["cluster_expires"] = std::to_string(kNow + 3600);
  EXPECT_EQ(check_pull("s3cret", "live", "cam", later, kNow), std::nullopt);
  auto junk = query;
  junk["cluster_expires"] = "12x";
  EXPECT_EQ(check_pull("s3cret", "live", "cam", junk, kNow), std::nullopt);
  EXPECT_EQ(check_pull("s3cret", "live", "cam", {}, kNow), std::nullopt);
}

TEST(ClusterPull, AccessAdmitsAPullOverRtmpOnly) {
  Access access;
  const auto query = common::parse_query(pull_query("s3cret", "live", "cam", "edge-1", kNow + 60));
  EXPECT_EQ(access.admit_pull({"live", "cam", query, Delivery::rtmp, kNow}), std::nullopt);  // secret unknown
  access.set_cluster_secret("s3cret");
  EXPECT_EQ(access.admit_pull({"live", "cam", query, Delivery::rtmp, kNow}), "edge-1");
  EXPECT_EQ(access.admit_pull({"live", "cam", query, Delivery::flv, kNow}), std::nullopt);
  EXPECT_EQ(access.admit_pull({"live", "cam", {}, Delivery::rtmp, kNow}), std::nullopt);
}

}  // namespace
}  // namespace liveorigin::access
