// Writes HLS files for hls.path on a thread of its own (never a shard's): each file lands whole
// (written to FILE.tmp, then renamed), so nginx or a CDN never serves half a segment.
#pragma once

#include <condition_variable>
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "liveorigin/common/bytes.hpp"

namespace liveorigin::hls {

// Writes `data` to FILE.tmp beside `file`, then renames it over `file` (never through a symlink or
// FIFO at either name). Returns an error text, empty on success. Any thread.
std::string write_file_atomically(const std::filesystem::path& file, const Bytes& data);

class DiskWriter {
 public:
  // Jobs beyond this are dropped with a warning: a stuck disk must not grow memory for ever.
  static constexpr std::size_t kMaxQueued = 512;

  DiskWriter();
  ~DiskWriter();  // finishes the queued jobs, then joins
  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  void write(std::filesystem::path file, std::shared_ptr<const Bytes> data);
  void remove(std::filesystem::path file);

  // An ended stream's files: `segments` and `playlist` are removed at `at` (when no player can
  // still want them), unless a new publish of the stream (`group`) says otherwise first. At
  // shutdown, due or not, they go.
  void expire(std::string group, std::vector<std::filesystem::path> segments,
              std::optional<std::filesystem::path> playlist, std::chrono::steady_clock::time_point at);
  // A new publish of `group`: it writes the playlist file from now on, so that stays. With
  // `continues` (the held playlist goes on, its segments still listed) the segments stay too; they
  // leave with the playlist's window like any other.
  void keep(const std::string& group, bool continues);
  // Blocks until every job queued so far is done (tests, shutdown).
  void flush();

 private:
  struct Job {
    std::filesystem::path file;
    std::shared_ptr<const Bytes> data;  // nullptr: remove the file
  };
  struct Expiry {
    std::string group;
    std::vector<std::filesystem::path> segments;
    std::optional<std::filesystem::path> playlist;
    std::chrono::steady_clock::time_point at;
  };
  void push(Job job);
  void run();
  void queue_due_expiries(std::chrono::steady_clock::time_point now);  // under mutex_

  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Job> jobs_;
  std::vector<Expiry> expiries_;
  bool busy_ = false;
  bool stopping_ = false;
  bool warned_full_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace liveorigin::hls
