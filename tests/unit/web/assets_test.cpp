#include "liveorigin/web/assets.hpp"

#include <gtest/gtest.h>

#include <string>

namespace liveorigin::web {
namespace {

std::string header_of(const AssetReply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers) {
    if (key == name) return value;
  }
  return "";
}

std::string text_of(std::span<const unsigned char> bytes) { return std::string(bytes.begin(), bytes.end()); }

TEST(WebAssets, FindsThePagesAndTheLibrariesBuiltIn) {
  for (const char* path : {"/static/index.html", "/static/player.html", "/static/player.js", "/static/mpegts.js",
                           "/static/hls.light.min.js", "/console/index.html", "/console/console.js",
                           "/console/uPlot.iife.min.js"}) {
    const auto asset = find_asset(path);
    ASSERT_TRUE(asset) << path;
    EXPECT_EQ(asset->path, path);
    EXPECT_FALSE(asset->bytes.empty()) << path;
    EXPECT_EQ(asset->etag.front(), '"');
    EXPECT_EQ(asset->etag.back(), '"');
  }
  EXPECT_FALSE(find_asset("/static/"));
  EXPECT_FALSE(find_asset("/static/missing.js"));
  EXPECT_FALSE(find_asset("static/player.js"));
  EXPECT_FALSE(find_asset("/static/../console/index.html"));
}

TEST(WebAssets, ContentTypesAndWhatIsALibrary) {
  EXPECT_EQ(find_asset("/static/player.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(find_asset("/static/player.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_asset("/static/page.css")->content_type, "text/css; charset=utf-8");
  EXPECT_FALSE(find_asset("/static/player.js")->library);
  EXPECT_TRUE(find_asset("/static/mpegts.js")->library);
  EXPECT_TRUE(text_of(find_asset("/static/player.html")->bytes).starts_with("<!doctype html>"));
}

TEST(WebAssets, ETagsDifferWithContent) {
  EXPECT_NE(find_asset("/static/player.js")->etag, find_asset("/static/index.js")->etag);
  EXPECT_EQ(find_asset("/static/player.js")->etag, find_asset("/static/player.js")->etag);
}

TEST(WebAssets, GzipWhenAcceptedAndWorthIt) {
  const auto library = *find_asset("/static/mpegts.js");
  ASSERT_FALSE(library.gzip.empty());
  EXPECT_LT(library.gzip.size(), library.bytes.size() / 2);
  EXPECT_EQ(library.gzip[0], 0x1f);  // gzip magic
  EXPECT_EQ(library.gzip[1], 0x8b);

  const auto plain = asset_reply(library, {}, "");
  EXPECT_EQ(plain.status, 200u);
  EXPECT_EQ(plain.body.size(), library.bytes.size());
  EXPECT_EQ(header_of(plain, "Content-Encoding"), "");
  EXPECT_EQ(header_of(plain, "Vary"), "Accept-Encoding");

  const auto zipped = asset_reply(library, {"", "gzip, deflate, br"}, "");
  EXPECT_EQ(zipped.body.size(), library.gzip.size());
  EXPECT_EQ(header_of(zipped, "Content-Encoding"), "gzip");
  EXPECT_NE(header_of(zipped, "ETag"), header_of(plain, "ETag"));

  EXPECT_EQ(asset_reply(library, {"", "gzip;q=0, identity"}, "").body.size(), library.bytes.size());
  EXPECT_EQ(asset_reply(library, {"", "deflate"}, "").body.size(), library.bytes.size());
  EXPECT_EQ(asset_reply(library, {"", "*"}, "").body.size(), library.gzip.size());
}

TEST(WebAssets, NotModifiedWhenTheETagMatches) {
  const auto page = *find_asset("/static/player.html");
  const auto first = asset_reply(page, {}, "default-src 'self'");
  EXPECT_EQ(asset_reply(page, {header_of(first, "ETag"), ""}, "").status, 304u);
  EXPECT_TRUE(asset_reply(page, {header_of(first, "ETag"), ""}, "").body.empty());
  const auto zipped = asset_reply(page, {"", "gzip"}, "");
  EXPECT_EQ(asset_reply(page, {header_of(zipped, "ETag"), "gzip"}, "").status, 304u);
  EXPECT_EQ(asset_reply(page, {"\"0123456789\"", ""}, "").status, 200u);
}

TEST(WebAssets, CachingAndSecurityHeaders) {
  const auto page = asset_reply(*find_asset("/static/player.html"), {}, "default-src 'self'");
  EXPECT_EQ(header_of(page, "Cache-Control"), "no-cache");
  EXPECT_EQ(header_of(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header_of(page, "Content-Security-Policy"), "default-src 'self'");

  const auto script = asset_reply(*find_asset("/static/player.js"), {}, "default-src 'self'");
  EXPECT_EQ(header_of(script, "Cache-Control"), "no-cache");
  EXPECT_EQ(header_of(script, "Content-Security-Policy"), "");  // a policy belongs to documents

  const auto library = asset_reply(*find_asset("/static/mpegts.js"), {}, "");
  EXPECT_NE(header_of(library, "Cache-Control").find("max-age="), std::string::npos);
}

TEST(WebAssets, PolicyAllowsOwnOriginAndTheMediaOrigin) {
  const auto strict = page_csp();
  EXPECT_NE(strict.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(strict.find("media-src 'self' blob:;"), std::string::npos);
  EXPECT_NE(strict.find("connect-src 'self';"), std::string::npos);
  EXPECT_EQ(strict.find("unsafe"), std::string::npos);
  const auto console = page_csp("http://example.com:8080");
  EXPECT_NE(console.find("media-src 'self' blob: http://example.com:8080;"), std::string::npos);
  EXPECT_NE(console.find("connect-src 'self' http://example.com:8080;"), std::string::npos);
}

}  // namespace
}  // namespace liveorigin::web
