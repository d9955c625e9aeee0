// The usage table: per minute rows for 7 days, then per hour rows up to 90 days. Functions run on
// the store thread (jobs of store::Database).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "liveorigin/common/usage_record.hpp"
#include "liveorigin/store/database.hpp"

namespace liveorigin::store {

inline constexpr std::int64_t kUsageMinuteDays = 7;
inline constexpr std::int64_t kUsageKeepDays = 90;

// Adds the records to their rows (a minute written twice, e.g. before and after a restart within
// it, sums up; its peak is the higher one). One transaction.
void write_usage(Connection& c, const std::vector<common::UsageRecord>& records);

struct UsageRollUp {
  int minutes_rolled = 0;  // minute rows turned into hour rows
  int rows_pruned = 0;     // rows older than kUsageKeepDays deleted
};
// Minute rows of hours that ended more than kUsageMinuteDays before now become hour rows; rows
// older than kUsageKeepDays are deleted. now: Unix seconds.
UsageRollUp roll_up_usage(Connection& c, std::int64_t now);

struct UsageQuery {
  std::string app;     // "" : every app (the server's rows)
  std::string stream;  // "" : the whole app
  std::int64_t from = 0, to = 0;  // Unix seconds: rows whose step starts in [from, to)
  std::int64_t step = 60;         // seconds per bucket: 60, 3600 or 86400
};
// One record per bucket with data, oldest first; `start` is the bucket's start. Hour rows fall in
// the bucket of their hour's start, also when step is a minute.
std::vector<common::UsageRecord> query_usage(Connection& c, const UsageQuery& query);

}  // namespace liveorigin::store
