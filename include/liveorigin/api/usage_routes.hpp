// Usage for billing (PRODUCT.md §13): the hub's meter folded once a second, each finished minute
// written to the store through its bounded queue, minutes rolled up to hours after 7 days and
// everything pruned after 90 days; GET /api/v1/usage answers from the store plus what is not
// stored yet (the current minute), so usage shows within a second or two.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "liveorigin/api/router.hpp"
#include "liveorigin/hub/usage_meter.hpp"
#include "liveorigin/store/database.hpp"
#include "liveorigin/store/usage.hpp"

namespace liveorigin::api {

class UsageBook {
 public:
  // Rolls up and prunes what a previous run left (a store job).
  UsageBook(hub::UsageMeter& meter, store::Database& database);

  // About once a second (the API thread): folds the counters; a finished minute goes to the
  // store; once an hour, the roll-up and pruning.
  void tick();
  // The server stops: the partial minute goes to the store (the database then drains its queue).
  void finish();

  // The buckets of the query: stored rows plus records not yet stored. Waits for the store.
  std::vector<common::UsageRecord> query(const store::UsageQuery& query);

 private:
  // Records handed to the store and not yet written (or refused by a full queue, sent again with
  // the next minute). Shared with the store jobs, which may run after this object is gone.
  struct Batch {
    std::uint64_t id = 0;
    std::vector<common::UsageRecord> records;
    bool posted = false;  // a store job is queued to write it
  };
  struct Pending {
    std::mutex mutex;
    std::deque<Batch> batches;
    std::uint64_t next_id = 1;
    void unpost(const std::vector<std::uint64_t>& ids);
    void remove(const std::vector<std::uint64_t>& ids);
  };
  void write(std::vector<common::UsageRecord> records);  // under mutex_
  void roll_up(std::int64_t now);

  hub::UsageMeter& meter_;
  store::Database& database_;
  std::mutex mutex_;  // one tick or finish at a time, and the query sees a minute in one place
  std::shared_ptr<Pending> pending_ = std::make_shared<Pending>();
  std::int64_t next_roll_up_ = 0;  // Unix seconds
};

// GET /api/v1/usage?app=&stream=&from=&to=&step=minute|hour|day
void add_usage_routes(Router& router, UsageBook& book);

}  // namespace liveorigin::api
