#include "liveorigin/hls/disk_writer.hpp"

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

void DiskWriter::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return jobs_.empty() && !busy_; });
}

void DiskWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything is written
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
