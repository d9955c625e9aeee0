#include "liveorigin/store/usage.hpp"

namespace liveorigin::store {

namespace {

constexpr std::int64_t kDay = 86400;

// Sums of a group of rows, in the column order of the table after `seconds`.
constexpr const char* kSums =
    "SUM(bytes_in), SUM(bytes_out_rtmp), SUM(bytes_out_flv), SUM(bytes_out_hls), SUM(bytes_out_vod), "
    "MAX(peak_kbps_out), SUM(player_seconds_rtmp), SUM(player_seconds_flv), SUM(player_seconds_hls)";

constexpr const char* kAddOnConflict =
    " ON CONFLICT (app, stream, start, seconds) DO UPDATE SET bytes_in = bytes_in + excluded.bytes_in, "
    "bytes_out_rtmp = bytes_out_rtmp + excluded.bytes_out_rtmp, bytes_out_flv = bytes_out_flv + excluded.bytes_out_flv, "
    "bytes_out_hls = bytes_out_hls + excluded.bytes_out_hls, bytes_out_vod = bytes_out_vod + excluded.bytes_out_vod, "
    "peak_kbps_out = MAX(peak_kbps_out, excluded.peak_kbps_out), "
    "player_seconds_rtmp = player_seconds_rtmp + excluded.player_seconds_rtmp, "
    "player_seconds_flv = player_seconds_flv + excluded.player_seconds_flv, "
    "player_seconds_hls = player_seconds_hls + excluded.player_seconds_hls";

// Reads the nine columns of kSums from `first` on.
void read_sums(const Statement& st, int first, common::UsageRecord& r) {
  r.bytes_in = static_cast<std::uint64_t>(st.column_int(first));
  for (std::size_t i = 0; i < r.bytes_out.size(); ++i)
    r.bytes_out[i] = static_cast<std::uint64_t>(st.column_int(first + 1 + static_cast<int>(i)));
  r.peak_kbps_out = static_cast<std::uint64_t>(st.column_int(first + 5));
  for (std::size_t i = 0; i < r.player_seconds.size(); ++i)
    r.player_seconds[i] = st.column_double(first + 6 + static_cast<int>(i));
}

}  // namespace

void write_usage(Connection& c, const std::vector<common::UsageRecord>& records) {
  if (records.empty()) return;
  c.exec("BEGIN");
  try {
    auto st = c.prepare(std::string("INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") +
                        kAddOnConflict);
    for (const auto& r : records) {
      st.bind(1, r.app).bind(2, r.stream).bind(3, r.start).bind(4, r.seconds);
      st.bind(5, static_cast<std::int64_t>(r.bytes_in));
      for (std::size_t i = 0; i < r.bytes_out.size(); ++i)
        st.bind(6 + static_cast<int>(i), static_cast<std::int64_t>(r.bytes_out[i]));
      st.bind(10, static_cast<std::int64_t>(r.peak_kbps_out));
      for (std::size_t i = 0; i < r.player_seconds.size(); ++i) st.bind(11 + static_cast<int>(i), r.player_seconds[i]);
      st.run();
      st.reset();
    }
    c.exec("COMMIT");
  } catch (...) {
    c.exec("ROLLBACK");
    throw;
  }
}

UsageRollUp roll_up_usage(Connection& c, std::int64_t now) {
  UsageRollUp out;
  const std::int64_t cutoff = (now - kUsageMinuteDays * kDay) / 3600 * 3600;  // whole hours only
  c.exec("BEGIN");
  try {
    auto roll = c.prepare(std::string("INSERT INTO usage SELECT app, stream, start / 3600 * 3600, 3600, ") + kSums +
                          " FROM usage WHERE seconds = 60 AND start < ?1 GROUP BY app, stream, start / 3600" +
                          kAddOnConflict);
    roll.bind(1, cutoff).run();
    auto drop = c.prepare("DELETE FROM usage WHERE seconds = 60 AND start < ?1");
    drop.bind(1, cutoff).run();
    out.minutes_rolled = c.changes();
    auto prune = c.prepare("DELETE FROM usage WHERE start < ?1");
    prune.bind(1, now - kUsageKeepDays * kDay).run();
    out.rows_pruned = c.changes();
    c.exec("COMMIT");
  } catch (...) {
    c.exec("ROLLBACK");
    throw;
  }
  return out;
}

std::vector<common::UsageRecord> query_usage(Connection& c, const UsageQuery& q) {
  auto st = c.prepare(std::string("SELECT start - start % ?1 AS bucket, ") + kSums +
                      " FROM usage WHERE app = ?2 AND stream = ?3 AND start >= ?4 AND start < ?5"
                      " GROUP BY bucket ORDER BY bucket");
  st.bind(1, q.step).bind(2, q.app).bind(3, q.stream).bind(4, q.from).bind(5, q.to);
  std::vector<common::UsageRecord> out;
  while (st.step()) {
    common::UsageRecord r{q.app, q.stream, st.column_int(0), q.step};
    read_sums(st, 1, r);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace liveorigin::store
