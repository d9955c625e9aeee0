#include "liveorigin/notify/notifier.hpp"

#include <gtest/gtest.h>

#include "../hub/manual_loop.hpp"
#include "temp_database.hpp"

namespace liveorigin::notify {
namespace {

// The notifier's side of the media path, without delivery (start() is not called): what a
// publish and an unpublish put in the outbox.
class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = config::default_config();
    c.notify = {"http://127.0.0.1:9/hook", "gkey", 1, 2};
    c.apps["live"].name = "live";
    c.apps["other"].name = "other";
    c.apps["other"].notify = {"http://127.0.0.1:9/other", "okey"};
    c.apps["silent"].name = "silent";
    config = std::make_unique<config::ConfigStore>(c);
    notifier = std::make_unique<Notifier>(*db, *config);
  }
  void TearDown() override { notifier.reset(); }
  std::shared_ptr<hub::Stream> publish(const std::string& app, const std::string& name) {
    auto stream = std::make_shared<hub::Stream>(hub::StreamKey{app, name}, loop, hub::PublisherInfo{"198.51.100.7", "rtmp", 0, {}},
                                                hub::StreamOptions{});
    const auto snapshot = config->get();
    const std::map<std::string, std::string> query;
    notifier->on_publish({*stream, snapshot->apps.at(app), *snapshot, "198.51.100.7", query});
    return stream;
  }
  // Oldest first.
  std::vector<nlohmann::json> events() {
    std::vector<nlohmann::json> out;
    auto rows = notifier->list(std::nullopt, 100);
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) out.push_back(nlohmann::json::parse(it->payload));
    return out;
  }
  hub::testing::ManualLoop loop;
  testing::TempDatabase db;
  std::unique_ptr<config::ConfigStore> config;
  std::unique_ptr<Notifier> notifier;
};

TEST_F(NotifierTest, PublishAndUnpublishShareASequenceAndGoToTheOutbox) {
  auto stream = publish("live", "cam");
  notifier->on_unpublish(*stream, "timeout");
  const auto e = events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["event"], "publish");
  EXPECT_EQ(e[1]["event"], "unpublish");
  EXPECT_EQ(e[1]["reason"], "timeout");
  EXPECT_EQ(e[0]["sequence"], e[1]["sequence"]);
  EXPECT_NE(e[0]["event_id"], e[1]["event_id"]);
  EXPECT_EQ(e[0]["client_ip"], "198.51.100.7");
  EXPECT_EQ(e[0]["sign"], sign("gkey", e[0]["t"].get<std::int64_t>()));
  const auto rows = notifier->list(CallbackState::pending, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].stream_key, "live/cam");
  EXPECT_EQ(rows[0].url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(rows[0].max_attempts, 3);  // 1 + retries
  EXPECT_EQ(notifier->metrics().queue_depth, 2);
}

TEST_F(NotifierTest, OnlyOneUnpublishPerSession) {
  auto stream = publish("live", "cam");
  notifier->on_unpublish(*stream, "closed");
  notifier->on_unpublish(*stream, "shutdown");
  EXPECT_EQ(events().size(), 2u);
  auto never_published = std::make_shared<hub::Stream>(hub::StreamKey{"live", "x"}, loop, hub::PublisherInfo{},
                                                        hub::StreamOptions{});
  notifier->on_unpublish(*never_published, "closed");
  EXPECT_EQ(events().size(), 2u);
}

TEST_F(NotifierTest, AppTargetOverridesAndEmptyUrlMeansNoCallbacks) {
  auto other = publish("other", "a");
  notifier->on_unpublish(*other, "dropped");
  auto s = config->get();
  auto c = *s;
  c.notify.url.clear();
  config->set(c);
  auto silent = publish("silent", "b");
  notifier->on_unpublish(*silent, "closed");
  const auto rows = notifier->list(std::nullopt, 10);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) EXPECT_EQ(row.url, "http://127.0.0.1:9/other");
  const auto e = events();
  EXPECT_EQ(e[0]["sign"], sign("okey", e[0]["t"].get<std::int64_t>()));
}

TEST_F(NotifierTest, RecordEventCarriesTheLastSessionsSequence) {
  auto stream = publish("live", "cam");
  notifier->on_unpublish(*stream, "closed");
  notifier->record({"live", "cam", "/d/vod/live/cam/cam_1.mp4", "http://h:8080/vod/live/cam/cam_1.mp4", "mp4", 10, 1,
                    2, 1.0, "198.51.100.7"});
  const auto e = events();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[2]["event"], "record");
  EXPECT_EQ(e[2]["event_type"], 100);
  EXPECT_EQ(e[2]["sequence"], e[0]["sequence"]);
  EXPECT_EQ(e[2]["file_path"], "/d/vod/live/cam/cam_1.mp4");
}

TEST_F(NotifierTest, FailedEntriesCanBeRetriedThroughTheNotifier) {
  EXPECT_EQ(notifier->retry(12345), RequeueResult::not_found);
  auto stream = publish("live", "cam");
  const auto id = notifier->list(std::nullopt, 1).at(0).id;
  EXPECT_EQ(notifier->retry(id), RequeueResult::not_failed);
}

}  // namespace
}  // namespace liveorigin::notify
