#include "liveorigin/store/database.hpp"

#include <atomic>
#include <filesystem>
#include <future>

#include <gtest/gtest.h>

namespace liveorigin::store {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("liveorigin-db-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                               "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "liveorigin.db").string(); }
};

TEST_F(DatabaseTest, MigratesAFreshFileAndKeepsDataAcrossReopen) {
  {
    Database db(path());
    EXPECT_GE(db.schema_version(), 1);
    db.call([](Connection& c) {
      c.prepare("INSERT INTO channels (app, id, created_at) VALUES (?, ?, ?)")
          .bind(1, "live").bind(2, "cam1").bind(3, std::int64_t{1700000000}).run();
    });
  }
  Database again(path());
  const auto count = again.call([](Connection& c) {
    auto st = c.prepare("SELECT id FROM channels WHERE app = ?");
    st.bind(1, "live");
    std::vector<std::string> ids;
    while (st.step()) ids.push_back(st.column_text(0));
    return ids;
  });
  EXPECT_EQ(count, std::vector<std::string>{"cam1"});
  const auto mode = again.call([](Connection& c) {
    auto st = c.prepare("PRAGMA journal_mode");
    st.step();
    return st.column_text(0);
  });
  EXPECT_EQ(mode, "wal");
}

TEST_F(DatabaseTest, JobsRunInOrderOffTheCallingThreadAndErrorsReachCall) {
  Database db(path());
  const auto caller = std::this_thread::get_id();
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) db.post([&order, i](Connection&) { order.push_back(i); });
  const auto job_thread = db.call([](Connection&) { return std::this_thread::get_id(); });
  EXPECT_NE(job_thread, caller);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_THROW(db.call([](Connection& c) { c.exec("INSERT INTO nowhere VALUES (1)"); }), StoreError);
  // A failing posted job is logged and the thread goes on.
  db.post([](Connection& c) { c.exec("nonsense"); });
  EXPECT_EQ(db.call([](Connection&) { return 7; }), 7);
}

TEST_F(DatabaseTest, UnopenablePathIsAClearError) {
  try {
    Database db((dir / "missing" / "x.db").string());
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/x.db"), std::string::npos) << e.what();
  }
}

// A stuck store thread: post() refuses past the cap (counted), call() still gets through.
TEST_F(DatabaseTest, PostDropsPastTheCapAndCountsIt) {
  Database db(path(), 2);
  std::promise<void> started, release;
  auto released = release.get_future().share();
  ASSERT_TRUE(db.post([&started, released](Connection&) {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the store thread is busy, the queue is empty
  std::atomic<int> ran{0};
  EXPECT_TRUE(db.post([&ran](Connection&) { ++ran; }));
  EXPECT_TRUE(db.post([&ran](Connection&) { ++ran; }));
  EXPECT_FALSE(db.post([&ran](Connection&) { ++ran; }));
  EXPECT_EQ(db.dropped(), 1u);
  release.set_value();
  EXPECT_EQ(db.call([&ran](Connection&) { return ran.load(); }), 2);
  EXPECT_TRUE(db.post([&ran](Connection&) { ++ran; }));  // room again once drained
  EXPECT_EQ(db.call([&ran](Connection&) { return ran.load(); }), 3);
}

}  // namespace
}  // namespace liveorigin::store
