#include "liveorigin/hls/disk_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace liveorigin::hls {

namespace fs = std::filesystem;

namespace {

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool write_all(int fd, const Bytes& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Creates FILE.tmp in `dir` for writing, never through anything already there: O_EXCL fails on
// an existing name (a planted symlink or FIFO, or a temp file a crash left), which is unlinked
// (unlink removes a link itself, not what it points to) before one more try.
int create_temp(int dir, const std::string& tmp_name) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(dir, tmp_name.c_str(), kFlags, 0644);
  if (fd < 0 && errno == EEXIST && ::unlinkat(dir, tmp_name.c_str(), 0) == 0)
    fd = ::openat(dir, tmp_name.c_str(), kFlags, 0644);
  return fd;
}

}  // namespace

// Writes FILE.tmp, then renames it over FILE: players never see half a file, and a symlink or
// FIFO planted at FILE is replaced, not written through (docs/hardening.md). The directory is
// opened without following a symlink, and both names are resolved in it, so a directory swapped
// for a link meanwhile does not redirect the write.
std::string write_file_atomically(const fs::path& file, const Bytes& data) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const Fd dir(::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.fd < 0) {
    return "cannot open the directory " + file.parent_path().string() + " (a symlink?): " + std::strerror(errno);
  }
  const std::string name = file.filename().string();
  const std::string tmp_name = name + ".tmp";
  bool ok;
  {
    const Fd out(create_temp(dir.fd, tmp_name));
    if (out.fd < 0) return "cannot create " + file.string() + ".tmp: " + std::strerror(errno);
    ok = write_all(out.fd, data);
  }
  if (!ok) {
    std::string error = "cannot write " + file.string() + ".tmp: " + std::strerror(errno);
    ::unlinkat(dir.fd, tmp_name.c_str(), 0);
    return error;
  }
  if (::renameat(dir.fd, tmp_name.c_str(), dir.fd, name.c_str()) != 0) {
    std::string error = "cannot rename " + file.string() + ".tmp to " + name + ": " + std::strerror(errno);
    ::unlinkat(dir.fd, tmp_name.c_str(), 0);
    return error;
  }
  return {};
}

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
      if (const auto error = write_file_atomically(job.file, *job.data); !error.empty()) spdlog::warn("hls: {}", error);
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
