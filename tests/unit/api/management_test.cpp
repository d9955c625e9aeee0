#include "liveorigin/api/management.hpp"
#include "liveorigin/api/api_server.hpp"

#include <gtest/gtest.h>

#include "../hub/manual_loop.hpp"
#include "../hub/packets.hpp"
#include "../store/temp_dir.hpp"
#include "liveorigin/common/query.hpp"
#include "liveorigin/store/stream_status.hpp"

namespace liveorigin::api {
namespace {

using nlohmann::json;

config::Config test_config() {
  auto c = config::default_config();
  c.server.rtmp = {"0.0.0.0", 1935};
  c.server.http = {"0.0.0.0", 8080};
  auto& ch = c.apps["ch"];
  ch.name = "ch";
  ch.mode = config::AppMode::channel;
  ch.max_channels = 1;
  ch.push_auth.key = "k";
  return c;
}

class ManagementTest : public ::testing::Test {
 protected:
  liveorigin::testing::TempDir dir{"liveorigin-mgmt-"};
  std::unique_ptr<store::Database> db;
  hub::Hub hub;
  access::Access access;
  config::ConfigStore config{test_config()};
  net::ServerStats stats;
  std::unique_ptr<Management> m;
  Router router;
  hub::testing::ManualLoop loop;

  void SetUp() override {
    db = std::make_unique<store::Database>(dir.file("liveorigin.db"));
    m = std::make_unique<Management>(hub, access, *db, config, stats);
    add_stats_routes(router, *m);
    add_stream_routes(router, *m);
    add_channel_routes(router, *m);
    add_app_routes(router, *m);
  }
  void TearDown() override {
    m.reset();
    db.reset();
  }

  Response send(std::string method, std::string path, std::string body = "") {
    Request r;
    r.method = std::move(method);
    const auto [bare, query] = common::split_query(path);  // as the server splits a request target
    r.path = std::string(bare);
    r.query = common::parse_query(query);
    r.body = std::move(body);
    r.client_ip = "10.0.0.1";
    r.host = "media.example:8090";
    return router.dispatch(r);
  }
};

TEST_F(ManagementTest, DisableIsDurableCachedAndCutsThePublisher) {
  auto stream = hub.claim({"live", "s"}, loop, {"1.2.3.4", "rtmp", 100, {}}, {});
  std::string stopped;
  stream->set_stop_handler([&](const std::string& reason) { stopped = reason; });
  auto r = send("PUT", "/api/v1/streams/live/s/status", R"({"status":"disabled"})");
  ASSERT_EQ(r.status, 200u) << envelope(r);
  EXPECT_TRUE(access.is_disabled({"live", "s"}));
  loop.run();
  EXPECT_EQ(stopped, "disabled");
  const auto row = db->call([](store::Connection& c) { return store::find_stream_status(c, "live", "s"); });
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "disabled");
  EXPECT_EQ(row->changed_by, "api 10.0.0.1");

  // Reloaded into a fresh cache (a restart).
  access::Access fresh;
  load_access(*db, fresh);
  EXPECT_TRUE(fresh.is_disabled({"live", "s"}));

  EXPECT_EQ(send("PUT", "/api/v1/streams/live/s/status", R"({"status":"enabled"})").status, 200u);
  EXPECT_FALSE(access.is_disabled({"live", "s"}));
}

TEST_F(ManagementTest, BadRequests) {
  EXPECT_EQ(send("PUT", "/api/v1/streams/live/s/status", "{").status, 400u);
  EXPECT_EQ(send("PUT", "/api/v1/streams/live/s/status", "[]").status, 400u);
  EXPECT_EQ(send("PUT", "/api/v1/streams/live/s/status", R"({"status":1})").status, 400u);
  EXPECT_EQ(send("PUT", "/api/v1/streams/live/../status", R"({"status":"enabled"})").status, 400u);
  EXPECT_EQ(send("PUT", "/api/v1/streams/nope/s/status", R"({"status":"enabled"})").status, 404u);
  EXPECT_EQ(send("GET", "/api/v1/streams/live/unknown").status, 404u);
  EXPECT_EQ(send("POST", "/api/v1/streams/live/unknown/drop").status, 404u);
  EXPECT_EQ(send("POST", "/api/v1/apps/ch/channels", R"({"id":"a b"})").status, 400u);
  EXPECT_EQ(send("POST", "/api/v1/apps/ch/channels", R"({"id":"a","expires_in":-1})").status, 400u);
}

TEST_F(ManagementTest, StreamDetailShowsCodecsAndPlayers) {
  auto stream = hub.claim({"live", "s"}, loop, {"1.2.3.4", "rtmp", 100, {}}, {});
  stream->publish(hub::testing::video_header());
  stream->publish(hub::testing::audio_header());
  stream->publish(hub::testing::video(0, true));
  hub::PlayerCount flv(stream->stats(), hub::PlayProtocol::flv);
  m->hls_players = [](const hub::StreamKey&) { return std::size_t{3}; };
  const auto r = send("GET", "/api/v1/streams/live/s");
  ASSERT_EQ(r.status, 200u);
  const auto& d = r.data;
  EXPECT_EQ(d["online"], true);
  EXPECT_EQ(d["status"], "enabled");
  EXPECT_EQ(d["publisher"], (json{{"ip", "1.2.3.4"}, {"protocol", "rtmp"}, {"started_at", 100}}));
  EXPECT_EQ(d["players"], (json{{"rtmp", 0}, {"flv", 1}, {"hls", 3}}));
  EXPECT_GT(d["bytes_in"].get<int>(), 0);
  EXPECT_TRUE(d.contains("video") && d.contains("audio"));
  const auto list = send("GET", "/api/v1/streams").data;
  ASSERT_EQ(list.size(), 1u);
  const auto metrics = send("GET", "/metrics");
  ASSERT_TRUE(metrics.raw);
  EXPECT_NE(metrics.raw->find("liveorigin_streams 1\n"), std::string::npos);
  EXPECT_NE(metrics.raw->find("liveorigin_players{protocol=\"hls\"} 3\n"), std::string::npos);
  EXPECT_EQ(send("GET", "/api/v1/stats").data["players"], 4);

  // Offline but known (it has a status row): online false.
  send("PUT", "/api/v1/streams/live/s/status", R"({"status":"enabled"})");
  stream->end();
  hub.release(*stream);
  const auto offline = send("GET", "/api/v1/streams/live/s");
  ASSERT_EQ(offline.status, 200u);
  EXPECT_EQ(offline.data["online"], false);
}

TEST_F(ManagementTest, ChannelsQuotaAndSignedUrls) {
  auto r = send("POST", "/api/v1/apps/ch/channels", R"({"id":"c1"})");
  ASSERT_EQ(r.status, 200u) << envelope(r);
  EXPECT_TRUE(access.has_channel({"ch", "c1"}));
  const auto push = r.data["push_url"].get<std::string>();
  EXPECT_EQ(push.rfind("rtmp://media.example:1935/ch/c1?txSecret=", 0), 0u) << push;
  const auto txtime = push.substr(push.find("txTime=") + 7);
  const auto secret = push.substr(push.find("txSecret=") + 9, 32);
  EXPECT_EQ(secret, access::tx_secret("k", "c1", txtime));
  EXPECT_EQ(r.data["play_urls"]["flv"], "http://media.example:8080/ch/c1.flv");  // no play key: unsigned
  EXPECT_EQ(r.data["play_urls"]["hls"], "http://media.example:8080/ch/c1.m3u8");

  auto dup = send("POST", "/api/v1/apps/ch/channels", R"({"id":"c1"})");
  EXPECT_EQ(dup.status, 409u);
  auto over = send("POST", "/api/v1/apps/ch/channels", "");
  EXPECT_EQ(over.status, 409u);
  EXPECT_NE(over.data["message"].get<std::string>().find("max_channels"), std::string::npos);
  EXPECT_EQ(send("GET", "/api/v1/apps/ch/channels").data.size(), 1u);
  EXPECT_EQ(send("DELETE", "/api/v1/apps/ch/channels/c1").status, 200u);
  EXPECT_FALSE(access.has_channel({"ch", "c1"}));
  EXPECT_EQ(send("DELETE", "/api/v1/apps/ch/channels/c1").status, 404u);
  auto generated = send("POST", "/api/v1/apps/ch/channels", "");
  ASSERT_EQ(generated.status, 200u);
  EXPECT_FALSE(generated.data["id"].get<std::string>().empty());
}

TEST_F(ManagementTest, AppsShowWhetherAuthIsOnNeverTheKeys) {
  auto next = test_config();
  next.apps["ch"].play_auth.backup_key = "secret-backup";
  next.apps["ch"].push_auth.key = "secret-push";
  next.apps["ch"].notify = {"http://hooks.example/cb", "secret-notify"};
  next.apps["live"].record = {true, "flv", 60};
  next.apps["live"].player_page = false;
  config.set(next);  // the list follows the current snapshot (a reload)
  const auto r = send("GET", "/api/v1/apps");
  ASSERT_EQ(r.status, 200u) << envelope(r);
  ASSERT_EQ(r.data.size(), 2u);
  EXPECT_EQ(r.data[0], (json{{"name", "ch"}, {"mode", "channel"}, {"max_channels", 1}, {"push_auth", true},
                             {"play_auth", false},
                             {"outputs", {{"gop_cache", true}, {"flv", true},
                                          {"hls", {{"enabled", true}, {"fragment", 2.0}, {"window", 6}}},
                                          {"record", {{"enabled", false}, {"format", "mp4"}}}}},
                             {"player_page", true}}));
  EXPECT_EQ(r.data[1]["name"], "live");
  EXPECT_EQ(r.data[1]["mode"], "code");
  EXPECT_EQ(r.data[1]["outputs"]["record"], (json{{"enabled", true}, {"format", "flv"}}));
  EXPECT_EQ(r.data[1]["player_page"], false);
  EXPECT_EQ(envelope(r).find("secret"), std::string::npos) << envelope(r);
}

TEST_F(ManagementTest, StreamListStates) {
  auto live = hub.claim({"live", "on"}, loop, {"1.2.3.4", "rtmp", 100, {}}, {});
  db->call([](store::Connection& c) {
    store::note_published(c, "live", "on", 100);
    store::note_published(c, "live", "gone", 90);  // has published, now offline
    store::note_published(c, "ch", "old", 80);
  });
  EXPECT_EQ(send("PUT", "/api/v1/streams/live/off/status", R"({"status":"disabled"})").status, 200u);
  const auto keys = [&](const std::string& path) {
    const auto r = send("GET", path);
    EXPECT_EQ(r.status, 200u) << path << ": " << envelope(r);
    std::vector<std::string> out;
    for (const auto& s : r.data) {
      out.push_back(s["app"].get<std::string>() + "/" + s["stream"].get<std::string>() +
                    (s["online"] == true ? " live" : "") + (s["status"] == "disabled" ? " disabled" : ""));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys("/api/v1/streams"), (V{"live/on live"}));
  EXPECT_EQ(keys("/api/v1/streams?state=live"), (V{"live/on live"}));
  EXPECT_EQ(keys("/api/v1/streams?state=all"), (V{"ch/old", "live/gone", "live/off disabled", "live/on live"}));
  EXPECT_EQ(keys("/api/v1/streams?state=all&app=live"), (V{"live/gone", "live/off disabled", "live/on live"}));
  EXPECT_EQ(keys("/api/v1/streams?state=all&limit=2"), (V{"ch/old", "live/gone"}));
  EXPECT_EQ(keys("/api/v1/streams?state=disabled"), (V{"live/off disabled"}));

  // A live stream that is disabled (its publisher not gone yet) is in the disabled list too.
  EXPECT_EQ(send("PUT", "/api/v1/streams/live/on/status", R"({"status":"disabled"})").status, 200u);
  EXPECT_EQ(keys("/api/v1/streams?state=disabled"), (V{"live/off disabled", "live/on live disabled"}));
  const auto offline = send("GET", "/api/v1/streams?state=all&app=live").data[0];
  EXPECT_EQ(offline, send("GET", "/api/v1/streams/live/gone").data);  // the detail's shape

  for (const char* bad : {"?state=offline", "?state=", "?state=ALL", "?limit=0", "?limit=10001", "?limit=x",
                          "?limit=5x", "?state=all&limit=-1"}) {
    const auto r = send("GET", std::string("/api/v1/streams") + bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_FALSE(r.data["message"].get<std::string>().empty()) << bad;
  }
  EXPECT_NE(send("GET", "/api/v1/streams?state=nope").data["message"].get<std::string>().find("live, all or disabled"),
            std::string::npos);
}

TEST(RateSampler, RatesOverTheWindow) {
  hub::testing::ManualLoop loop;
  hub::Hub hub;
  auto stream = hub.claim({"live", "s"}, loop, {}, {});
  RateSampler rates(std::chrono::seconds(5));
  const auto t0 = std::chrono::steady_clock::time_point{};
  rates.sample(hub.streams(), 0, 0, t0);
  EXPECT_EQ(rates.rates(*stream).fps, 0);
  for (int i = 0; i < 25; ++i) stream->publish(hub::testing::video(i * 40, i == 0, 1000));
  rates.sample(hub.streams(), 125000, 0, t0 + std::chrono::seconds(1));
  const auto r = rates.rates(*stream);
  EXPECT_DOUBLE_EQ(r.fps, 25);
  EXPECT_NEAR(r.video_kbps, 25 * 1000 * 8 / 1000.0, 1.0);  // bodies a little over 1000 bytes
  EXPECT_DOUBLE_EQ(rates.kbps_in(), 1000);
}

TEST(ApiServer, BearerToken) {
  EXPECT_TRUE(bearer_matches("Bearer abc", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer abd", "abc"));
  EXPECT_FALSE(bearer_matches("bearer abc", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer abc ", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer ", ""));  // an empty token never matches
  EXPECT_FALSE(bearer_matches("Bearer ab", "abc"));
  EXPECT_FALSE(bearer_matches("Bearer abcd", "abc"));
  EXPECT_FALSE(bearer_matches("", "abc"));
  EXPECT_TRUE(bearer_matches("Bearer 0123456789abcdef0123", "0123456789abcdef0123"));
}

}  // namespace
}  // namespace liveorigin::api
