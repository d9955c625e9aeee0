#include <gtest/gtest.h>
#include <sqlite3.h>

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

TEST_F(AccessTablesTest, KnownAndDisabledStreamsAreListedInOrder) {
  Database db(path());
  db.call([](Connection& c) {
    note_published(c, "live", "b", 100);
    note_published(c, "live", "a", 100);
    note_published(c, "other", "a", 100);
    save_stream_status(c, {"live", "a", "disabled", "api", 101});    // published too: listed once
    save_stream_status(c, {"live", "c", "enabled", "api", 102});     // never published, has a status
    save_stream_status(c, {"other", "z", "disabled", "api", 103});
  });
  const auto names = [](const std::vector<StreamName>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.app + "/" + r.stream);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(db.call([](Connection& c) { return list_known_streams(c, std::nullopt, 100); })),
            (V{"live/a", "live/b", "live/c", "other/a", "other/z"}));
  EXPECT_EQ(names(db.call([](Connection& c) { return list_known_streams(c, "other", 100); })),
            (V{"other/a", "other/z"}));
  EXPECT_EQ(names(db.call([](Connection& c) { return list_known_streams(c, std::nullopt, 2); })),
            (V{"live/a", "live/b"}));
  EXPECT_EQ(names(db.call([](Connection& c) { return list_disabled_streams(c, std::nullopt, 100); })),
            (V{"live/a", "other/z"}));
  EXPECT_EQ(names(db.call([](Connection& c) { return list_disabled_streams(c, "live", 100); })), (V{"live/a"}));
}

// A file of schema version 1 (its two tables that matter here, as version 1 made them) learns at
// upgrade which streams had published: from their recordings and their publish callbacks.
TEST_F(AccessTablesTest, AVersionOneFileLearnsItsPublishedStreamsAtUpgrade) {
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &raw), SQLITE_OK);
    const char* v1 = R"sql(
      CREATE TABLE callbacks (id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
        stream_key TEXT NOT NULL, url TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL,
        last_error TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
      CREATE TABLE recordings (id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, stream TEXT NOT NULL,
        file_path TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, format TEXT NOT NULL, file_size INTEGER NOT NULL,
        start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, duration REAL NOT NULL,
        recovered INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
      INSERT INTO recordings (app, stream, file_path, file_name, format, file_size, start_time, end_time, duration,
        created_at) VALUES ('live', 'rec', '/v/a.mp4', 'a.mp4', 'mp4', 1, 100, 110, 10, 110);
      INSERT INTO callbacks (event_id, stream_key, url, payload, state, max_attempts, next_attempt_ms, created_ms,
        updated_ms) VALUES ('e1', 'live/cb', 'http://x/', '{"event":"publish","app":"live","stream_id":"cb",
        "event_time":5000}', 'delivered', 4, 0, 0, 0),
        ('e2', 'live/gone', 'http://x/', '{"event":"record","app":"live","stream_id":"gone","event_time":5000}',
        'delivered', 4, 0, 0, 0);
      PRAGMA user_version = 1;
    )sql";
    ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  }
  Database db(path());
  EXPECT_GE(db.schema_version(), 2);
  EXPECT_TRUE(db.call([](Connection& c) { return was_published(c, "live", "rec"); }));
  EXPECT_TRUE(db.call([](Connection& c) { return was_published(c, "live", "cb"); }));
  EXPECT_FALSE(db.call([](Connection& c) { return was_published(c, "live", "gone"); }));
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
