#include "http/page_routes.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../hub/manual_loop.hpp"

namespace liveorigin::http {
namespace {

struct PageRoutes : ::testing::Test {
  PageRoutes() {
    config = config::parse_config(R"(
apps:
  live:
  secret:
    play_auth: { key: k }
  hidden:
    player_page: false
)",
                                  "pages.yaml");
  }

  std::optional<Reply> get(std::string_view target, std::string_view if_none_match = {},
                           std::string_view accept_encoding = {}) {
    const auto parsed = parse_target(target);
    return page_reply(config, hub, {parsed, if_none_match, accept_encoding});
  }

  static std::string body(const Reply& reply) { return reply.body ? std::string(reply.body->begin(), reply.body->end()) : ""; }
  static std::string header(const Reply& reply, std::string_view name) {
    for (const auto& [key, value] : reply.headers) {
      if (key == name) return value;
    }
    return "";
  }

  void go_live(const std::string& app, const std::string& name) {
    streams.push_back(hub.claim({app, name}, loop, {"203.0.113.1", "rtmp", 0, {}}, {}));
  }

  config::Config config;
  hub::Hub hub;
  hub::testing::ManualLoop loop;
  std::vector<std::shared_ptr<hub::Stream>> streams;
};

TEST_F(PageRoutes, StreamListPage) {
  const auto reply = get("/");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200u);
  EXPECT_EQ(reply->content_type, "text/html; charset=utf-8");
  EXPECT_NE(body(*reply).find("/static/index.js"), std::string::npos);
  EXPECT_NE(header(*reply, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(header(*reply, "X-Content-Type-Options"), "nosniff");
}

TEST_F(PageRoutes, PlayerPageForAppsWithItOn) {
  const auto page = get("/play/live/cam1?proto=hls");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200u);
  EXPECT_NE(body(*page).find("/static/player.js"), std::string::npos);
  EXPECT_EQ(get("/play/secret/cam1")->status, 200u);  // the media URLs check the signature
  EXPECT_EQ(get("/play/hidden/cam1")->status, 404u);
  EXPECT_EQ(get("/play/nope/cam1")->status, 404u);
  EXPECT_EQ(get("/play/live/..")->status, 400u);
}

TEST_F(PageRoutes, StaticFilesWithGzipAndRevalidation) {
  const auto script = get("/static/mpegts.js", {}, "gzip");
  ASSERT_TRUE(script);
  EXPECT_EQ(header(*script, "Content-Encoding"), "gzip");
  const auto again = get("/static/mpegts.js", header(*script, "ETag"), "gzip");
  EXPECT_EQ(again->status, 304u);
  EXPECT_FALSE(again->body);
  EXPECT_FALSE(get("/static/nothing.js"));  // left to the other routes (an app may be named "static")
  EXPECT_FALSE(get("/console/console.js"));  // the console lives on the API port
}

TEST_F(PageRoutes, OtherTargetsAreLeftToOtherRoutes) {
  EXPECT_FALSE(get("/live/cam1.m3u8"));
  EXPECT_FALSE(get("/live/cam1.flv"));
  EXPECT_FALSE(get("/vod/live/cam1/x.mp4"));
  EXPECT_FALSE(get("/play/live"));
}

TEST_F(PageRoutes, StreamsJsonListsOnlyPublicApps) {
  go_live("live", "cam1");
  go_live("secret", "cam2");
  go_live("hidden", "cam3");

  const auto reply = get("/streams.json");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200u);
  EXPECT_EQ(reply->content_type, "application/json");
  EXPECT_EQ(header(*reply, "Cache-Control"), "no-cache");
  const auto json = nlohmann::json::parse(body(*reply));
  ASSERT_EQ(json["streams"].size(), 1u) << json;
  const auto& entry = json["streams"][0];
  EXPECT_EQ(entry["app"], "live");
  EXPECT_EQ(entry["stream"], "cam1");
  EXPECT_TRUE(entry["video"].is_null());  // no codec headers yet (the browser test sees the size)
  EXPECT_TRUE(entry["audio"].is_null());
  EXPECT_FALSE(entry.contains("publisher"));  // no addresses on a public list
}

TEST_F(PageRoutes, ListedPublicly) {
  EXPECT_TRUE(listed_publicly(*config.find_app("live")));
  EXPECT_FALSE(listed_publicly(*config.find_app("secret")));
  EXPECT_FALSE(listed_publicly(*config.find_app("hidden")));
}

}  // namespace
}  // namespace liveorigin::http
