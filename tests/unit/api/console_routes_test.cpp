#include "api/console_routes.hpp"

#include <gtest/gtest.h>

namespace liveorigin::api {
namespace {

std::string header_of(const ConsoleReply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(ConsoleRoutes, MediaOriginFollowsTheHostTheBrowserUsed) {
  const config::Endpoint http{"0.0.0.0", 8080};
  EXPECT_EQ(media_origin("console.example:8090", http), "http://console.example:8080");
  EXPECT_EQ(media_origin("10.0.0.5", http), "http://10.0.0.5:8080");
  EXPECT_EQ(media_origin("[::1]:8090", http), "http://[::1]:8080");
  EXPECT_EQ(media_origin("", http), "http://127.0.0.1:8080");
  EXPECT_EQ(media_origin("", {"192.0.2.1", 81}), "http://192.0.2.1:81");
  EXPECT_EQ(media_origin("evil\"; script-src *", http), "http://127.0.0.1:8080");  // never into the policy
}

TEST(ConsoleRoutes, ServesTheConsoleFilesWithAPolicyForTheMediaPort) {
  const auto config = config::default_config();
  const auto page = console_reply(config, {"/console/", "localhost:8090", "", ""});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200u);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("console.js"), std::string::npos);
  EXPECT_NE(header_of(*page, "Content-Security-Policy").find("media-src 'self' blob: http://localhost:8080"),
            std::string::npos);

  const auto script = console_reply(config, {"/console/console.js", "localhost:8090", "", "gzip"});
  ASSERT_TRUE(script);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(console_reply(config, {"/console/console.js", "", header_of(*script, "ETag"), "gzip"})->status, 304u);

  const auto media = console_reply(config, {"/console/media.json", "h:1", "", ""});
  EXPECT_EQ(media->body, R"({"media_origin":"http://h:8080"})");

  EXPECT_EQ(console_reply(config, {"/console", "", "", ""})->status, 308u);
  EXPECT_EQ(console_reply(config, {"/console/secret.json", "", "", ""})->status, 404u);
  EXPECT_FALSE(console_reply(config, {"/api/v1/streams", "", "", ""}));
  EXPECT_FALSE(console_reply(config, {"/consoles", "", "", ""}));
  EXPECT_FALSE(console_reply(config, {"/static/player.js", "", "", ""}));  // not the console's
}

}  // namespace
}  // namespace liveorigin::api
