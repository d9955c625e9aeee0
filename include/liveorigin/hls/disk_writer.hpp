// Writes HLS files for hls.path on a thread of its own (never a shard's): each file lands whole
// (written to FILE.tmp, then renamed), so nginx or a CDN never serves half a segment.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "liveorigin/common/bytes.hpp"

namespace liveorigin::hls {

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
  // Blocks until every job queued so far is done (tests, shutdown).
  void flush();

 private:
  struct Job {
    std::filesystem::path file;
    std::shared_ptr<const Bytes> data;  // nullptr: remove the file
  };
  void push(Job job);
  void run();

  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Job> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  bool warned_full_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace liveorigin::hls
