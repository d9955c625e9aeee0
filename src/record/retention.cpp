#include "liveorigin/record/retention.hpp"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

namespace liveorigin::record {

namespace fs = std::filesystem;

namespace {

constexpr double kDay = 86400;

std::string days_text(double days) {
  std::string text = fmt::format("{:.3f}", days);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

// What deleting a recording removes: its file, or the folder of an HLS recording (the playlist's).
fs::path deleted_path(const StoredRecording& r) {
  const fs::path file(r.file_path);
  return r.format == Format::hls ? file.parent_path() : file;
}

// Deletes `path` when it lies inside vod_root, through no symlink. False when it was refused.
bool delete_inside(const fs::path& path, const fs::path& root, std::string& error) {
  std::error_code ec;
  const auto parent = fs::weakly_canonical(path.parent_path(), ec);
  const auto real_root = fs::weakly_canonical(root, ec);
  const auto rel = parent.lexically_relative(real_root);
  if (ec || rel.empty() || *rel.begin() == "..") {
    error = "outside " + root.string();
    return false;
  }
  const auto status = fs::symlink_status(path, ec);
  if (status.type() == fs::file_type::not_found) return true;  // gone already: the row goes too
  if (status.type() == fs::file_type::directory) {
    fs::remove_all(path, ec);
  } else if (status.type() == fs::file_type::regular) {
    fs::remove(path, ec);
  } else {
    error = "not a regular file or folder";
    return false;
  }
  if (ec) error = ec.message();
  return !ec;
}

}  // namespace

std::map<std::string, RetentionPolicy> retention_policies(const config::Config& config) {
  std::map<std::string, RetentionPolicy> out;
  for (const auto& [name, app] : config.apps) {
    RetentionPolicy p{app.record.retention, app.record.max_total_size};
    if (p.active()) out.emplace(name, p);
  }
  return out;
}

std::vector<Expired> select_expired(std::vector<StoredRecording> recordings,
                                    const std::map<std::string, RetentionPolicy>& policies, std::int64_t now) {
  // Newest first within each app: the size cap keeps from the newest down.
  std::sort(recordings.begin(), recordings.end(), [](const StoredRecording& a, const StoredRecording& b) {
    if (a.app != b.app) return a.app < b.app;
    if (a.start_time != b.start_time) return a.start_time > b.start_time;
    return a.id > b.id;
  });
  std::vector<Expired> out;
  std::map<std::string, std::uint64_t> kept_bytes;
  std::map<std::string, bool> kept_one;
  for (auto& r : recordings) {
    const auto policy = policies.find(r.app);
    if (policy == policies.end()) continue;
    const auto& p = policy->second;
    if (p.days > 0 && double(r.end_time) < double(now) - p.days * kDay) {
      out.push_back({std::move(r), "ended more than " + days_text(p.days) + " days ago (record.retention)"});
      continue;
    }
    auto& bytes = kept_bytes[r.app];
    if (p.max_total_size > 0 && kept_one[r.app] && bytes + r.file_size > p.max_total_size) {
      out.push_back({std::move(r), "the app's recordings exceed record.max_total_size (" +
                                       std::to_string(p.max_total_size) + " bytes); oldest first"});
      continue;
    }
    bytes += r.file_size;
    kept_one[r.app] = true;
  }
  std::sort(out.begin(), out.end(), [](const Expired& a, const Expired& b) {
    return a.recording.start_time < b.recording.start_time;
  });
  return out;
}

std::size_t apply_retention(store::Connection& c, const std::string& vod_root,
                            const std::map<std::string, RetentionPolicy>& policies, std::int64_t now) {
  if (policies.empty()) return 0;
  std::vector<StoredRecording> rows;
  {
    auto st = c.prepare("SELECT id, app, stream, file_path, format, file_size, start_time, end_time FROM recordings");
    while (st.step()) {
      if (!policies.contains(st.column_text(1))) continue;
      rows.push_back({st.column_int(0), st.column_text(1), st.column_text(2), st.column_text(3),
                      parse_format(st.column_text(4)).value_or(Format::mp4),
                      static_cast<std::uint64_t>(st.column_int(5)), st.column_int(6), st.column_int(7)});
    }
  }
  std::size_t deleted = 0;
  auto drop = c.prepare("DELETE FROM recordings WHERE id = ?");
  for (const auto& e : select_expired(std::move(rows), policies, now)) {
    const auto& r = e.recording;
    std::string error;
    if (!delete_inside(deleted_path(r), vod_root, error)) {
      spdlog::error("record retention: cannot delete {}: {}; its row stays", r.file_path, error);
      continue;
    }
    drop.bind(1, r.id).run();
    drop.reset();
    ++deleted;
    spdlog::info("record retention: deleted {}/{} {} ({} bytes): {}", r.app, r.stream, deleted_path(r).string(),
                 r.file_size, e.reason);
  }
  return deleted;
}

}  // namespace liveorigin::record
