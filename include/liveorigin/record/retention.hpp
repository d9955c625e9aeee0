// Retention of landed recordings, per app: record.retention (days) deletes files that ended longer
// ago; record.max_total_size deletes the oldest files until the app's landed files fit (the newest
// stays, whatever its size). Only landed files have rows, so a .part being written is never touched.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "liveorigin/config/config.hpp"
#include "liveorigin/record/recording_file.hpp"
#include "liveorigin/store/database.hpp"

namespace liveorigin::record {

struct RetentionPolicy {
  double days = 0;                   // 0: no age limit
  std::uint64_t max_total_size = 0;  // bytes, 0: no cap
  bool active() const { return days > 0 || max_total_size > 0; }
};

// The policies of the apps in `config` that have one.
std::map<std::string, RetentionPolicy> retention_policies(const config::Config& config);

struct StoredRecording {
  std::int64_t id = 0;
  std::string app, stream, file_path;
  Format format = Format::mp4;
  std::uint64_t file_size = 0;
  std::int64_t start_time = 0, end_time = 0;  // Unix seconds
};

struct Expired {
  StoredRecording recording;
  std::string reason;  // for the log line
};

// Which recordings go, oldest first. Pure. now: Unix seconds.
std::vector<Expired> select_expired(std::vector<StoredRecording> recordings,
                                    const std::map<std::string, RetentionPolicy>& policies, std::int64_t now);

// On the store thread: deletes the selected files (only inside vod_root; an HLS recording is its
// folder) and their rows, one log line each. Returns how many went.
std::size_t apply_retention(store::Connection& c, const std::string& vod_root,
                            const std::map<std::string, RetentionPolicy>& policies, std::int64_t now);

}  // namespace liveorigin::record
