#include "liveorigin/api/usage_routes.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <spdlog/spdlog.h>

#include "checks.hpp"

namespace liveorigin::api {

namespace {

constexpr std::int64_t kRollUpPeriod = 3600;  // seconds
constexpr std::int64_t kMaxBuckets = 10000;
// Past this many waiting records (the store is stuck), the oldest minutes are dropped.
constexpr std::size_t kMaxPendingRecords = 100000;

bool in_query(const common::UsageRecord& r, const store::UsageQuery& q) {
  return r.app == q.app && r.stream == q.stream && r.start >= q.from && r.start < q.to;
}

}  // namespace

UsageBook::UsageBook(hub::UsageMeter& meter, store::Database& database) : meter_(meter), database_(database) {
  const auto now = hub::unix_ms() / 1000;
  roll_up(now);
  next_roll_up_ = now + kRollUpPeriod;
}

void UsageBook::roll_up(std::int64_t now) {
  database_.post([now](store::Connection& c) {
    const auto done = store::roll_up_usage(c, now);
    if (done.minutes_rolled > 0 || done.rows_pruned > 0) {
      spdlog::info("usage: {} minute rows rolled up into hours (older than {} days), {} rows older than {} days deleted",
                   done.minutes_rolled, store::kUsageMinuteDays, done.rows_pruned, store::kUsageKeepDays);
    }
  });
}

void UsageBook::tick() {
  const auto now_ms = hub::unix_ms();
  std::lock_guard lock(mutex_);
  write(meter_.tick(now_ms));
  if (now_ms / 1000 >= next_roll_up_) {
    next_roll_up_ = now_ms / 1000 + kRollUpPeriod;
    roll_up(now_ms / 1000);
  }
}

void UsageBook::finish() {
  std::lock_guard lock(mutex_);
  write(meter_.finish(hub::unix_ms()));
}

void UsageBook::Pending::unpost(const std::vector<std::uint64_t>& ids) {
  for (auto& b : batches) {
    if (std::find(ids.begin(), ids.end(), b.id) != ids.end()) b.posted = false;
  }
}

void UsageBook::Pending::remove(const std::vector<std::uint64_t>& ids) {
  std::erase_if(batches, [&](const Batch& b) { return std::find(ids.begin(), ids.end(), b.id) != ids.end(); });
}

void UsageBook::write(std::vector<common::UsageRecord> records) {
  std::vector<common::UsageRecord> batch;
  std::vector<std::uint64_t> ids;
  {
    std::lock_guard lock(pending_->mutex);
    auto& batches = pending_->batches;
    if (!records.empty()) batches.push_back({pending_->next_id++, std::move(records), false});
    std::size_t waiting = 0;
    for (const auto& b : batches) waiting += b.records.size();
    while (waiting > kMaxPendingRecords && batches.size() > 1 && !batches.front().posted) {
      waiting -= batches.front().records.size();
      spdlog::error("usage: the store is behind; the {} records of minute {} are dropped", batches.front().records.size(),
                    batches.front().records.front().start);
      batches.pop_front();
    }
    // The new minute, and any a full queue refused before.
    for (auto& b : batches) {
      if (b.posted) continue;
      b.posted = true;
      ids.push_back(b.id);
      batch.insert(batch.end(), b.records.begin(), b.records.end());
    }
  }
  if (ids.empty()) return;
  const bool queued = database_.post([pending = pending_, ids, batch = std::move(batch)](store::Connection& c) {
    try {
      store::write_usage(c, batch);
    } catch (...) {
      std::lock_guard lock(pending->mutex);
      pending->unpost(ids);  // tried again with the next minute
      throw;
    }
    std::lock_guard lock(pending->mutex);
    pending->remove(ids);
  });
  if (!queued) {
    std::lock_guard lock(pending_->mutex);
    pending_->unpost(ids);
  }
}

std::vector<common::UsageRecord> UsageBook::query(const store::UsageQuery& q) {
  // One store job reads the rows and what is not stored yet, so a minute being written is counted
  // exactly once: either still pending here or already in its row.
  auto [stored, waiting] = database_.call([&](store::Connection& c) {
    auto rows = store::query_usage(c, q);
    std::vector<common::UsageRecord> live;
    std::lock_guard lock(mutex_);
    for (auto& r : meter_.current()) {
      if (in_query(r, q)) live.push_back(std::move(r));
    }
    std::lock_guard pending_lock(pending_->mutex);
    for (const auto& b : pending_->batches) {
      for (const auto& r : b.records) {
        if (in_query(r, q)) live.push_back(r);
      }
    }
    return std::pair{std::move(rows), std::move(live)};
  });
  std::map<std::int64_t, common::UsageRecord> buckets;
  for (auto& r : stored) buckets.emplace(r.start, std::move(r));
  for (const auto& r : waiting) {
    const auto bucket = r.start - r.start % q.step;
    auto [it, added] = buckets.try_emplace(bucket, common::UsageRecord{q.app, q.stream, bucket, q.step});
    it->second.add(r);
  }
  std::vector<common::UsageRecord> out;
  for (auto& [bucket, r] : buckets) out.push_back(std::move(r));
  return out;
}

namespace {

std::int64_t seconds_param(const Request& request, const char* name, std::int64_t fallback) {
  const auto it = request.query.find(name);
  if (it == request.query.end() || it->second.empty()) return fallback;
  std::int64_t v = 0;
  const auto& s = it->second;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) {
    throw ApiError(400, 400, std::string(name) + " must be Unix seconds (a whole number >= 0)");
  }
  return v;
}

std::int64_t step_param(const Request& request) {
  const auto it = request.query.find("step");
  if (it == request.query.end() || it->second.empty() || it->second == "hour") return 3600;
  if (it->second == "minute") return 60;
  if (it->second == "day") return 86400;
  throw ApiError(400, 400, "step must be minute, hour or day");
}

const char* step_name(std::int64_t step) { return step == 60 ? "minute" : step == 3600 ? "hour" : "day"; }

nlohmann::json usage_json(const common::UsageRecord& r) {
  nlohmann::json out = {{"bytes_in", r.bytes_in}, {"bytes_out_total", r.bytes_out_total()},
                        {"peak_kbps_out", r.peak_kbps_out}};
  for (std::size_t i = 0; i < r.bytes_out.size(); ++i) out["bytes_out"][common::kUsageProtocols[i]] = r.bytes_out[i];
  for (std::size_t i = 0; i < r.player_seconds.size(); ++i)
    out["player_seconds"][common::kUsageProtocols[i]] = std::llround(r.player_seconds[i] * 1000) / 1000.0;
  return out;
}

}  // namespace

void add_usage_routes(Router& router, UsageBook& book) {
  router.add("GET", "/api/v1/usage", [&book](const Request& request, const Params&) {
    store::UsageQuery q;
    q.app = optional_name(request, "app");
    q.stream = optional_name(request, "stream");
    if (!q.stream.empty() && q.app.empty()) throw ApiError(400, 400, "stream needs app");
    q.step = step_param(request);
    q.to = seconds_param(request, "to", hub::unix_ms() / 1000 + 1);
    q.from = seconds_param(request, "from", q.to - 86400);
    if (q.from >= q.to) throw ApiError(400, 400, "from must be before to");
    if ((q.to - q.from) / q.step > kMaxBuckets) {
      throw ApiError(400, 400, "from-to spans more than " + std::to_string(kMaxBuckets) + " steps: use a larger step");
    }
    common::UsageRecord total{q.app, q.stream, q.from, q.to - q.from};
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : book.query(q)) {
      total.add(r);
      auto item = usage_json(r);
      item["time"] = r.start;
      items.push_back(std::move(item));
    }
    Response response;
    response.data = {{"app", q.app.empty() ? nlohmann::json() : nlohmann::json(q.app)},
                     {"stream", q.stream.empty() ? nlohmann::json() : nlohmann::json(q.stream)},
                     {"step", step_name(q.step)}, {"from", q.from}, {"to", q.to},
                     {"items", std::move(items)}, {"total", usage_json(total)}};
    return response;
  });
}

}  // namespace liveorigin::api
