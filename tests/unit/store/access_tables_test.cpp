#include <gtest/gtest.h>

#include "liveorigin/store/channels.hpp"
#include "liveorigin/store/stream_status.hpp"
#include "temp_dir.hpp"

namespace liveorigin::store {
namespace {

class AccessTablesTest : public ::testing::Test {
 protected:
  testing::TempDir dir{"liveorigin-access-"};
  std::string path() const { return dir.file("liveorigin.db"); }
};

TEST_F(AccessTablesTest, StreamStatusUpsertsAndSurvivesReopen) {
  {
    Database db(path());
    db.call([](Connection& c) {
      save_stream_status(c, {"live", "a", "disabled", "api 1.2.3.4", 100});
      save_stream_status(c, {"live", "b", "disabled", "api", 101});
      save_stream_status(c, {"live", "b", "enabled", "api 5.6.7.8", 102});
    });
  }
  Database db(path());
  const auto rows = db.call([](Connection& c) { return load_stream_statuses(c); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].stream, "a");
  EXPECT_EQ(rows[0].status, "disabled");
  EXPECT_EQ(rows[1].status, "enabled");
  EXPECT_EQ(rows[1].changed_by, "api 5.6.7.8");
  EXPECT_EQ(rows[1].changed_at, 102);
  const auto one = db.call([](Connection& c) { return find_stream_status(c, "live", "a"); });
  ASSERT_TRUE(one);
  EXPECT_EQ(one->changed_by, "api 1.2.3.4");
  EXPECT_FALSE(db.call([](Connection& c) { return find_stream_status(c, "live", "zz"); }));
}

TEST_F(AccessTablesTest, PublishedStreamsAreRemembered) {
  {
    Database db(path());
    db.call([](Connection& c) {
      note_published(c, "live", "a", 100);
      note_published(c, "live", "a", 200);  // again: one row
    });
  }
  Database db(path());
  EXPECT_TRUE(db.call([](Connection& c) { return was_published(c, "live", "a"); }));
  EXPECT_FALSE(db.call([](Connection& c) { return was_published(c, "live", "b"); }));
  EXPECT_FALSE(db.call([](Connection& c) { return was_published(c, "other", "a"); }));
}

TEST_F(AccessTablesTest, ChannelsWithQuota) {
  Database db(path());
  db.call([](Connection& c) {
    EXPECT_EQ(insert_channel(c, {"live", "c1", 1}, 2), ChannelInsert::created);
    EXPECT_EQ(insert_channel(c, {"live", "c1", 2}, 2), ChannelInsert::exists);
    EXPECT_EQ(insert_channel(c, {"live", "c2", 2}, 2), ChannelInsert::created);
    EXPECT_EQ(insert_channel(c, {"live", "c3", 3}, 2), ChannelInsert::quota_reached);
    EXPECT_EQ(insert_channel(c, {"other", "c3", 3}, 2), ChannelInsert::created);  // quota is per app
    EXPECT_EQ(insert_channel(c, {"other", "c4", 4}, 0), ChannelInsert::created);  // 0 = unlimited
    EXPECT_EQ(count_channels(c, "live"), 2);
    EXPECT_EQ(list_channels(c).size(), 4u);
    const auto live = list_channels(c, "live");
    ASSERT_EQ(live.size(), 2u);
    EXPECT_EQ(live[0].id, "c1");
    EXPECT_TRUE(find_channel(c, "live", "c2"));
    EXPECT_TRUE(delete_channel(c, "live", "c2"));
    EXPECT_FALSE(delete_channel(c, "live", "c2"));
    EXPECT_FALSE(find_channel(c, "live", "c2"));
    EXPECT_EQ(insert_channel(c, {"live", "c3", 5}, 2), ChannelInsert::created);
  });
}

}  // namespace
}  // namespace liveorigin::store
