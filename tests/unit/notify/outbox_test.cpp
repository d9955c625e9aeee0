#include "liveorigin/notify/outbox.hpp"

#include <gtest/gtest.h>

#include "temp_database.hpp"

namespace liveorigin::notify {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  template <typename F>
  auto with_outbox(F f) {
    return db->call([&](store::Connection& c) {
      Outbox outbox(c);
      return f(outbox);
    });
  }
  void insert(const std::string& id, const std::string& stream, std::int64_t now, int max_attempts = 3) {
    with_outbox([&](Outbox& o) {
      o.insert({id, stream, "http://127.0.0.1:1/cb", R"({"event_id":")" + id + "\"}", max_attempts}, now);
      return 0;
    });
  }
  std::vector<std::string> head_ids() {
    std::vector<std::string> ids;
    for (const auto& e : with_outbox([](Outbox& o) { return o.heads(); })) ids.push_back(e.event_id);
    return ids;
  }
  std::int64_t id_of(const std::string& event_id) {
    for (const auto& e : with_outbox([](Outbox& o) { return o.list(std::nullopt, 100); })) {
      if (e.event_id == event_id) return e.id;
    }
    return -1;
  }
  void record(std::int64_t id, const std::string& error, std::int64_t now) {
    with_outbox([&](Outbox& o) { return o.record_attempt(id, error, now); });
  }
  testing::TempDatabase db;
};

TEST(BackoffTest, OneSecondDoublingCapped) {
  EXPECT_EQ(backoff_ms(1), 1000);
  EXPECT_EQ(backoff_ms(2), 2000);
  EXPECT_EQ(backoff_ms(3), 4000);
  EXPECT_EQ(backoff_ms(6), 32000);
  EXPECT_EQ(backoff_ms(7), kMaxBackoffMs);
  EXPECT_EQ(backoff_ms(1000), kMaxBackoffMs);
}

TEST_F(OutboxTest, InsertedEventIsPendingAndDueAtOnce) {
  insert("e1", "live/a", 1000);
  const auto rows = with_outbox([](Outbox& o) { return o.list(CallbackState::pending, 10); });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, CallbackState::pending);
  EXPECT_EQ(rows[0].attempts, 0);
  EXPECT_EQ(rows[0].next_attempt_ms, 1000);
  EXPECT_EQ(rows[0].payload, R"({"event_id":"e1"})");
  EXPECT_EQ(with_outbox([](Outbox& o) { return o.pending_count(); }), 1);
}

TEST_F(OutboxTest, LastPublishIsTheStreamsNewestSessionUpToATime) {
  auto event = [&](const std::string& id, const std::string& stream, const std::string& name, std::int64_t at,
                   const std::string& sequence) {
    const std::string payload = R"({"event":")" + name + R"(","event_id":")" + id + R"(","sequence":")" + sequence +
                                R"(","client_ip":"10.0.0.)" + id + R"(","event_time":)" + std::to_string(at) + "}";
    with_outbox([&](Outbox& o) {
      o.insert({id, stream, "http://127.0.0.1:1/cb", payload, 3}, at);
      return 0;
    });
  };
  event("1", "live/a", "publish", 1000, "s1");
  event("2", "live/b", "publish", 1500, "other stream");
  event("3", "live/a", "unpublish", 2000, "s1");
  event("4", "live/a", "publish", 3000, "s2");
  const auto at = [&](std::int64_t ms) { return with_outbox([&](Outbox& o) { return o.last_publish("live/a", ms); }); };
  ASSERT_TRUE(at(2500));
  EXPECT_EQ(at(2500)->sequence, "s1");
  EXPECT_EQ(at(2500)->client_ip, "10.0.0.1");
  EXPECT_EQ(at(3000)->sequence, "s2");
  EXPECT_FALSE(at(999));
  EXPECT_FALSE(with_outbox([](Outbox& o) { return o.last_publish("live/c", 5000); }));
}

TEST_F(OutboxTest, SameEventIdIsWrittenOnce) {
  insert("e1", "live/a", 1000);
  insert("e1", "live/a", 2000);
  EXPECT_EQ(with_outbox([](Outbox& o) { return o.pending_count(); }), 1);
}

TEST_F(OutboxTest, HeadsAreTheOldestPendingEventOfEachStream) {
  insert("a1", "live/a", 1000);
  insert("b1", "live/b", 1000);
  insert("a2", "live/a", 1001);
  EXPECT_EQ(head_ids(), (std::vector<std::string>{"a1", "b1"}));
  record(id_of("a1"), "", 1100);
  EXPECT_EQ(head_ids(), (std::vector<std::string>{"b1", "a2"}));
  EXPECT_EQ(with_outbox([](Outbox& o) { return o.head("live/a"); })->event_id, "a2");
  EXPECT_FALSE(with_outbox([](Outbox& o) { return o.head("live/none"); }));
}

TEST_F(OutboxTest, FailedAttemptsBackOffThenFailKeepingTheLastError) {
  insert("e1", "live/a", 1000, 3);
  const auto id = id_of("e1");
  EXPECT_EQ(with_outbox([&](Outbox& o) { return o.record_attempt(id, "HTTP 500", 2000); }),
            AttemptOutcome::retry_scheduled);
  auto row = *with_outbox([&](Outbox& o) { return o.find(id); });
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.next_attempt_ms, 3000);  // 1 s later
  EXPECT_EQ(with_outbox([&](Outbox& o) { return o.record_attempt(id, "HTTP 502", 3000); }),
            AttemptOutcome::retry_scheduled);
  EXPECT_EQ(with_outbox([&](Outbox& o) { return o.find(id); })->next_attempt_ms, 5000);  // then 2 s
  EXPECT_EQ(with_outbox([&](Outbox& o) { return o.record_attempt(id, "connect: refused", 5000); }),
            AttemptOutcome::failed);
  row = *with_outbox([&](Outbox& o) { return o.find(id); });
  EXPECT_EQ(row.state, CallbackState::failed);
  EXPECT_EQ(row.attempts, 3);
  EXPECT_EQ(row.last_error, "connect: refused");
  EXPECT_TRUE(head_ids().empty());
  EXPECT_EQ(with_outbox([](Outbox& o) { return o.list(CallbackState::failed, 10); }).size(), 1u);
}

TEST_F(OutboxTest, AFinallyFailedEventLetsTheStreamsNextOneGo) {
  insert("a1", "live/a", 1000, 1);
  insert("a2", "live/a", 1000, 1);
  record(id_of("a1"), "HTTP 500", 1100);
  EXPECT_EQ(head_ids(), std::vector<std::string>{"a2"});
}

TEST_F(OutboxTest, DeliveredAfterARetry) {
  insert("e1", "live/a", 1000);
  const auto id = id_of("e1");
  with_outbox([&](Outbox& o) { return o.record_attempt(id, "HTTP 500", 1000); });
  EXPECT_EQ(with_outbox([&](Outbox& o) { return o.record_attempt(id, "", 2000); }), AttemptOutcome::delivered);
  const auto row = *with_outbox([&](Outbox& o) { return o.find(id); });
  EXPECT_EQ(row.state, CallbackState::delivered);
  EXPECT_EQ(row.attempts, 2);
  EXPECT_EQ(row.last_error, "");
  EXPECT_EQ(with_outbox([](Outbox& o) { return o.pending_count(); }), 0);
}

TEST_F(OutboxTest, RequeueOnlyFailedRows) {
  insert("e1", "live/a", 1000, 1);
  const auto id = id_of("e1");
  EXPECT_EQ(with_outbox([&](Outbox& o) { return o.requeue(id, 1500); }), RequeueResult::not_failed);
  EXPECT_EQ(with_outbox([&](Outbox& o) { return o.requeue(999, 1500); }), RequeueResult::not_found);
  with_outbox([&](Outbox& o) { return o.record_attempt(id, "HTTP 500", 1100); });
  EXPECT_EQ(with_outbox([&](Outbox& o) { return o.requeue(id, 5000); }), RequeueResult::requeued);
  const auto row = *with_outbox([&](Outbox& o) { return o.find(id); });
  EXPECT_EQ(row.state, CallbackState::pending);
  EXPECT_EQ(row.attempts, 0);
  EXPECT_EQ(row.next_attempt_ms, 5000);
  EXPECT_EQ(row.last_error, "HTTP 500");  // kept until the next attempt says otherwise
}

TEST_F(OutboxTest, PendingRowsSurviveAReopen) {
  insert("e1", "live/a", 1000);
  db.reopen();
  EXPECT_EQ(head_ids(), std::vector<std::string>{"e1"});
}

TEST_F(OutboxTest, PruneDeletesOnlyOldDeliveredRows) {
  insert("old", "live/a", 1000);
  insert("new", "live/b", 1000);
  insert("pending", "live/c", 1000);
  record(id_of("old"), "", 1000);
  record(id_of("new"), "", 9000);
  EXPECT_EQ(with_outbox([](Outbox& o) { return o.prune_delivered(5000); }), 1);
  EXPECT_EQ(with_outbox([](Outbox& o) { return o.list(std::nullopt, 10); }).size(), 2u);
}

}  // namespace
}  // namespace liveorigin::notify
