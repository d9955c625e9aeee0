#include "liveorigin/notify/event.hpp"

#include <set>

#include <gtest/gtest.h>

#include "liveorigin/notify/http_target.hpp"
#include "liveorigin/notify/notifier.hpp"

namespace liveorigin::notify {
namespace {

EventHeader header() {
  return {"publish", kPublishType, "0b1f-id", "42", "live", "cam1", "203.0.113.5", 1764400000123};
}

TEST(Md5Test, MatchesKnownDigests) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(SignTest, IsMd5OfKeyThenDecimalT) {
  EXPECT_EQ(sign("secret", 1764400600), md5_hex("secret1764400600"));
  EXPECT_EQ(sign("", 5), md5_hex("5"));
}

TEST(PayloadTest, PublishCarriesEveryCommonFieldSigned) {
  const auto p = make_payload(header(), "k3y");
  EXPECT_EQ(p["event"], "publish");
  EXPECT_EQ(p["event_type"], 1);
  EXPECT_EQ(p["event_id"], "0b1f-id");
  EXPECT_EQ(p["sequence"], "42");
  EXPECT_EQ(p["app"], "live");
  EXPECT_EQ(p["stream_id"], "cam1");
  EXPECT_EQ(p["event_time"], 1764400000123);
  EXPECT_EQ(p["t"], 1764400000 + 600);
  EXPECT_EQ(p["sign"], md5_hex("k3y1764400600"));
  EXPECT_EQ(p["client_ip"], "203.0.113.5");
  EXPECT_FALSE(p.contains("reason"));
}

TEST(PayloadTest, UnpublishAddsAPublicReason) {
  auto p = make_unpublish_payload(header(), "timeout", "k");
  EXPECT_EQ(p["event"], "unpublish");
  EXPECT_EQ(p["event_type"], 0);
  EXPECT_EQ(p["reason"], "timeout");
  EXPECT_EQ(p["sequence"], "42");  // the publish's
  EXPECT_EQ(make_unpublish_payload(header(), "bad publish", "k")["reason"], "closed");
  for (const char* r : {"closed", "dropped", "disabled", "timeout", "shutdown"}) {
    EXPECT_EQ(public_reason(r), r);
  }
}

TEST(PayloadTest, RecordAddsTheFile) {
  RecordEvent r{"live", "cam1", "/data/vod/live/cam1/cam1_20251129-100000.mp4",
                "http://h:8080/vod/live/cam1/cam1_20251129-100000.mp4", "mp4", 1234, 1764400000, 1764400060, 60.5,
                "203.0.113.5"};
  const auto p = make_record_payload(header(), r, "k");
  EXPECT_EQ(p["event"], "record");
  EXPECT_EQ(p["event_type"], 100);
  EXPECT_EQ(p["file_path"], r.file_path);
  EXPECT_EQ(p["video_url"], r.video_url);
  EXPECT_EQ(p["file_format"], "mp4");
  EXPECT_EQ(p["file_size"], 1234);
  EXPECT_EQ(p["start_time"], 1764400000);
  EXPECT_EQ(p["end_time"], 1764400060);
  EXPECT_DOUBLE_EQ(p["duration"].get<double>(), 60.5);
}

TEST(IdsTest, EventIdsAreUuidShapedAndUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    const auto id = new_event_id();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_NE(new_sequence(), new_sequence());
  EXPECT_EQ(new_sequence().find_first_not_of("0123456789"), std::string::npos);
}

TEST(NotifyTargetTest, AppUrlAndKeyEachOverrideTheGlobalOne) {
  config::Config c = config::default_config();
  c.notify.url = "http://global/cb";
  c.notify.key = "gk";
  config::AppConfig app;
  auto t = notify_target(&app, c);
  EXPECT_EQ(t.url, "http://global/cb");
  EXPECT_EQ(t.key, "gk");
  app.notify = {"https://app/cb", "ak"};
  t = notify_target(&app, c);
  EXPECT_EQ(t.url, "https://app/cb");
  EXPECT_EQ(t.key, "ak");
  app.notify = {"", "only-key"};  // the global URL, signed with the app's key
  t = notify_target(&app, c);
  EXPECT_EQ(t.url, "http://global/cb");
  EXPECT_EQ(t.key, "only-key");
  app.notify = {"https://app/cb", ""};
  EXPECT_EQ(notify_target(&app, c).key, "gk");
  c.notify.url.clear();
  EXPECT_TRUE(notify_target(nullptr, c).url.empty());
}

TEST(HttpTargetTest, ParsesHttpAndHttpsUrls) {
  auto t = parse_http_url("http://127.0.0.1:8081/hook?x=1#frag");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->tls);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 8081);
  EXPECT_EQ(t->target, "/hook?x=1");
  EXPECT_EQ(t->host_header(), "127.0.0.1:8081");
  t = parse_http_url("https://backend.example");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->port, 443);
  EXPECT_EQ(t->target, "/");
  EXPECT_EQ(t->host_header(), "backend.example");
  t = parse_http_url("http://[::1]:9000/a");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->host_header(), "[::1]:9000");
  for (const char* bad : {"ftp://x/", "http://", "http://:80/", "http://h:0/", "http://h:99999/", "http://u:p@h/",
                          "http://[::1/", "http://h:12a/"}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

TEST(ResponseTest, DeliveredOnlyOn2xxWithCodeZero) {
  EXPECT_EQ(response_error(200, R"({"code":0})"), "");
  EXPECT_EQ(response_error(201, R"({"code":0,"message":"ok"})"), "");
  EXPECT_EQ(response_error(500, R"({"code":0})"), "HTTP 500");
  EXPECT_EQ(response_error(200, R"({"code":1})"), "HTTP 200 with code 1");
  EXPECT_NE(response_error(200, R"({"code":"0"})"), "");
  EXPECT_NE(response_error(200, "ok"), "");
  EXPECT_NE(response_error(200, ""), "");
  EXPECT_NE(response_error(302, R"({"code":0})"), "");
}

// RFC 4231 test case 2, and the header's shape: "sha256=" then lowercase hex.
TEST(Event, BodySignatureIsHmacSha256OfTheBody) {
  EXPECT_EQ(body_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(body_signature("", ""), "sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_NE(body_signature("k", R"({"a":1})"), body_signature("k", R"({"a":2})"));
}

}  // namespace
}  // namespace liveorigin::notify
