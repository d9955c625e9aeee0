#include "liveorigin/record/recorder.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "liveorigin/record/media_file.hpp"
#include "recording_session.hpp"

namespace liveorigin::record {

namespace fs = std::filesystem;

namespace {

std::string absolute_root(const std::string& root) {
  std::error_code ec;
  auto p = fs::weakly_canonical(fs::absolute(root), ec);
  return ec ? fs::absolute(root).lexically_normal().string() : p.string();
}

}  // namespace

Recorder::Recorder(RecorderOptions options) : options_(std::move(options)) {
  options_.vod_root = absolute_root(options_.vod_root);
  landing_thread_ = std::thread([this] { run_landing(); });
}

Recorder::~Recorder() { drain(); }

void Recorder::recover() {
  std::error_code ec;
  const fs::path root(options_.vod_root);
  if (!fs::is_directory(root, ec)) return;
  std::size_t found = 0;
  // vod/APP/STREAM/FILE: two levels of folders, then the files.
  for (const auto& app : fs::directory_iterator(root, ec)) {
    if (!app.is_directory()) continue;
    for (const auto& stream : fs::directory_iterator(app.path(), ec)) {
      if (!stream.is_directory()) continue;
      for (const auto& entry : fs::directory_iterator(stream.path(), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.ends_with(".landing")) {  // a remux cut short: its .part is still there
          fs::remove(entry.path(), ec);
          continue;
        }
        if (!name.ends_with(kPartSuffix) || entry.is_symlink()) continue;
        const std::string final_name = name.substr(0, name.size() - kPartSuffix.size());
        const auto format = format_of(final_name);
        // An HLS recording is a folder; the others are files.
        if (!format || (*format == Format::hls ? !entry.is_directory() : !entry.is_regular_file())) continue;
        LandJob job;
        job.part_path = entry.path().string();
        job.final_path = (stream.path() / final_name).string();
        job.info.app = app.path().filename().string();
        job.info.stream = stream.path().filename().string();
        job.info.file_name = final_name;
        job.info.format = *format;
        job.info.recovered = true;
        job.info.start_time = parse_start_time(job.info.stream, final_name).value_or(0);
        if (job.info.start_time == 0) {
          const auto mtime = fs::last_write_time(entry.path(), ec);
          job.info.start_time = std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                                    .count();
        }
        spdlog::warn("record: found {} left by a crash; recovering it", job.part_path);
        land(std::move(job));
        ++found;
      }
    }
  }
  if (found) spdlog::info("record: recovering {} file(s)", found);
}

std::shared_ptr<hub::Subscriber> Recorder::start(RecordingTarget target) {
  reap_finished();
  const std::string context = "record " + target.app + "/" + target.stream;
  auto queue = std::make_shared<SessionQueue>(options_.queue_bytes, stats_, context);
  auto done = std::make_shared<std::atomic<bool>>(false);
  spdlog::info("{}: recording as {} (interval {} s)", context, extension(target.settings.format),
               target.settings.interval_s);
  std::lock_guard lock(workers_mutex_);
  if (drained_) return std::make_shared<RecordingInput>(queue);  // shutting down: records nothing
  stats_.active.fetch_add(1, std::memory_order_relaxed);
  Worker worker{queue, {}, done};
  worker.thread = std::thread([this, queue, done, target = std::move(target)]() mutable {
    run_recording(*this, stats_, std::move(target), *queue);
    stats_.active.fetch_sub(1, std::memory_order_relaxed);
    done->store(true);
  });
  workers_.push_back(std::move(worker));
  return std::make_shared<RecordingInput>(std::move(queue));
}

void Recorder::reap_finished() {
  std::lock_guard lock(workers_mutex_);
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done->load()) {
      it->thread.join();  // already returned: does not wait
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void Recorder::drain() {
  std::list<Worker> workers;
  {
    std::lock_guard lock(workers_mutex_);
    if (drained_) return;
    drained_ = true;
    workers.swap(workers_);
  }
  // A stream whose end never reached us (its loop already stopped) ends here.
  for (auto& w : workers) {
    if (auto queue = w.queue.lock()) queue->close();
  }
  for (auto& w : workers) w.thread.join();
  {
    std::lock_guard lock(landing_mutex_);
    landing_stop_ = true;
  }
  landing_wake_.notify_one();
  landing_thread_.join();
}

void Recorder::land(LandJob job) {
  {
    std::lock_guard lock(landing_mutex_);
    landing_jobs_.push_back(std::move(job));
  }
  landing_wake_.notify_one();
}

void Recorder::run_landing() {
  for (;;) {
    LandJob job;
    {
      std::unique_lock lock(landing_mutex_);
      landing_wake_.wait(lock, [&] { return landing_stop_ || !landing_jobs_.empty(); });
      if (landing_jobs_.empty()) return;  // stopping, and every job is done
      job = std::move(landing_jobs_.front());
      landing_jobs_.pop_front();
    }
    land_now(job);
  }
}

void Recorder::land_now(LandJob& job) {
  const std::string context = "record " + job.info.app + "/" + job.info.stream;
  std::error_code ec;
  if (job.part_path.empty()) return;
  if (fs::exists(job.final_path, ec)) {
    // Renamed before the crash, the .part not yet removed: the landed file is complete.
    fs::remove_all(job.part_path, ec);
    spdlog::info("{}: {} had landed already", context, job.final_path);
    return;
  }
  std::optional<LandedFile> landed;
  try {
    landed = land_file(job.part_path, job.final_path, job.info.format, job.duration_s);
  } catch (const std::exception& e) {
    spdlog::error("{}: landing {} failed: {} (the .part stays for the next start)", context,
                  job.part_path, e.what());
    return;
  }
  if (!landed) {
    spdlog::warn("{}: {} held no media; removed", context, job.part_path);
    return;
  }
  auto& info = job.info;
  info.file_path = job.final_path;
  if (info.format == Format::hls) {  // the recording is its folder; players open its playlist
    info.file_path += "/" + std::string(kHlsPlaylist);
    info.file_name += "/" + std::string(kHlsPlaylist);
  }
  info.vod_path = "/vod/" + info.app + "/" + info.stream + "/" + info.file_name;
  info.file_size = landed->size;
  info.duration = job.duration_s.value_or(landed->duration_s);
  info.end_time = info.start_time + static_cast<std::int64_t>(info.duration + 0.5);
  if (info.format == Format::mp4) {
    stats_.landing_bytes_read.fetch_add(landed->bytes_read, std::memory_order_relaxed);
    stats_.landing_bytes_written.fetch_add(landed->size, std::memory_order_relaxed);
  }
  (info.recovered ? stats_.files_recovered : stats_.files_landed).fetch_add(1, std::memory_order_relaxed);
  spdlog::info("{}: landed {} ({} bytes, {:.3f} s{})", context, info.file_path, info.file_size,
               info.duration, info.recovered ? ", recovered after a crash" : "");
  if (options_.on_landed) {
    try {
      options_.on_landed(info);
    } catch (const std::exception& e) {
      spdlog::error("{}: reporting {} failed: {}", context, info.file_path, e.what());
    }
  }
}

}  // namespace liveorigin::record
