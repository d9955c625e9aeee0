#include "liveorigin/hls/disk_writer.hpp"

#include <algorithm>
#include <fstream>

#include <spdlog/spdlog.h>

namespace liveorigin::hls {

namespace fs = std::filesystem;

namespace {

void write_atomically(const fs::path& file, const Bytes& data) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      spdlog::warn("hls: cannot write {}", tmp.string());
      fs::remove(tmp, ec);
      return;
    }
  }
  fs::rename(tmp, file, ec);
  if (ec) spdlog::warn("hls: cannot rename {} to {}: {}", tmp.string(), file.string(), ec.message());
}

}  // namespace

DiskWriter::DiskWriter() : thread_([this] { run(); }) {}

DiskWriter::~DiskWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void DiskWriter::write(fs::path file, std::shared_ptr<const Bytes> data) {
  if (data) push(Job{std::move(file), std::move(data)});
}

void DiskWriter::remove(fs::path file) { push(Job{std::move(file), nullptr}); }

void DiskWriter::push(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.size() >= kMaxQueued) {
      if (!warned_full_) spdlog::warn("hls: disk writes fall behind; dropping {}", job.file.string());
      warned_full_ = true;
      return;
    }
    warned_full_ = false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void DiskWriter::expire(std::string group, std::vector<fs::path> segments, std::optional<fs::path> playlist,
                        std::chrono::steady_clock::time_point at) {
  {
    std::lock_guard lock(mutex_);
    expiries_.push_back({std::move(group), std::move(segments), std::move(playlist), at});
  }
  wake_.notify_one();
}

void DiskWriter::keep(const std::string& group, bool continues) {
  std::lock_guard lock(mutex_);
  std::erase_if(expiries_, [&](Expiry& e) {
    if (e.group != group) return false;
    e.playlist.reset();  // the new publish's file now
    return continues || e.segments.empty();
  });
}

void DiskWriter::queue_due_expiries(std::chrono::steady_clock::time_point now) {
  std::erase_if(expiries_, [&](Expiry& e) {
    if (!stopping_ && e.at > now) return false;
    for (auto& file : e.segments) jobs_.push_back(Job{std::move(file), nullptr});
    if (e.playlist) jobs_.push_back(Job{std::move(*e.playlist), nullptr});
    return true;
  });
}

void DiskWriter::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return jobs_.empty() && !busy_; });
}

void DiskWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Checked under the lock, so a job or an expiry pushed meanwhile wakes the wait below.
    queue_due_expiries(std::chrono::steady_clock::now());
    if (jobs_.empty()) {
      if (stopping_) return;  // everything is written
      if (expiries_.empty()) {
        wake_.wait(lock);
      } else {
        // A copy: the wait reads it again after others (unlocked meanwhile) changed expiries_.
        const auto until = std::min_element(expiries_.begin(), expiries_.end(),
                                            [](const Expiry& a, const Expiry& b) { return a.at < b.at; })->at;
        wake_.wait_until(lock, until);
      }
      continue;
    }
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    if (job.data) {
      write_atomically(job.file, *job.data);
    } else {
      std::error_code ec;
      fs::remove(job.file, ec);
    }
    lock.lock();
    busy_ = false;
    if (jobs_.empty()) idle_.notify_all();
  }
}

}  // namespace liveorigin::hls
