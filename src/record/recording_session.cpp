#include "recording_session.hpp"

#include <chrono>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "liveorigin/record/file_splitter.hpp"
#include "liveorigin/record/media_file.hpp"

namespace liveorigin::record {

namespace fs = std::filesystem;

namespace {

bool starts_media(const media::Packet& p, bool has_video) {
  return p.is_video() ? p.keyframe && !p.sequence_header : p.is_audio() && !has_video;
}

bool same_bytes(const media::PacketPtr& a, const media::PacketPtr& b) {
  return a && b && a->flv_tag.size() == b->flv_tag.size() &&
         std::equal(a->flv_tag.begin() + 11, a->flv_tag.end(), b->flv_tag.begin() + 11);
}

}  // namespace

void SessionQueue::push(const media::PacketPtr& packet) {
  const std::size_t size = packet->flv_tag.size();
  std::unique_lock lock(mutex_);
  if (closed_) return;
  if (packet->is_video()) has_video_ = true;
  const bool header = packet->track_config || packet->type == media::MediaType::data;
  if (!header) {
    if (dropping_ && starts_media(*packet, has_video_) && bytes_ + size <= max_bytes_ / 2) {
      dropping_ = false;
      spdlog::warn("{}: disk caught up; recording again after dropping {} packets", log_context_,
                   dropped_in_episode_);
    }
    if (!dropping_ && bytes_ + size > max_bytes_) {
      dropping_ = true;
      dropped_in_episode_ = 0;
      stats_.queue_overflows.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("{}: disk falls behind ({} MiB queued): dropping media until it catches up",
                    log_context_, bytes_ >> 20);
    }
    if (dropping_) {
      ++dropped_in_episode_;
      stats_.packets_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  packets_.push_back(packet);
  bytes_ += size;
  lock.unlock();
  wake_.notify_one();
}

void SessionQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  wake_.notify_one();
}

media::PacketPtr SessionQueue::pop() {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [&] { return closed_ || !packets_.empty(); });
  if (packets_.empty()) return nullptr;
  auto packet = std::move(packets_.front());
  packets_.pop_front();
  bytes_ -= packet->flv_tag.size();
  return packet;
}

namespace {

constexpr std::uint32_t kFlushEveryMs = 500;

class RecordingWriter {
 public:
  RecordingWriter(Recorder& recorder, RecorderStats& stats, RecordingTarget target)
      : recorder_(recorder), stats_(stats), target_(std::move(target)),
        context_("record " + target_.app + "/" + target_.stream),
        splitter_(static_cast<std::uint32_t>(target_.settings.interval_s * 1000)) {}

  void on_packet(const media::PacketPtr& packet) {
    if (failed_) return;
    const auto& p = *packet;
    if (p.is_audio()) {
      start_.has_audio = true;
      if (!start_.audio_first && !p.sequence_header) start_.audio_first = packet;
    }
    if (p.is_video()) start_.has_video = true;
    switch (splitter_.on_packet(p)) {
      case FileSplitter::Action::keep:
        remember(packet);
        return;
      case FileSplitter::Action::skip:
        return;
      case FileSplitter::Action::start_file:
        if (p.is_video()) start_.video_key = packet;
        session_first_dts_ = p.timestamp;
        session_wall_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
        open_file(p.timestamp);
        break;
      case FileSplitter::Action::split:
        if (p.is_video()) start_.video_key = packet;
        close_file((p.timestamp - file_start_dts_) / 1000.0);
        open_file(p.timestamp);
        break;
      case FileSplitter::Action::append:
        break;
    }
    write(p);
  }

  void finish() {
    if (file_) close_file(std::nullopt);
  }

 private:
  void remember(const media::PacketPtr& packet) {
    const auto& p = *packet;
    media::PacketPtr* slot = p.type == media::MediaType::data ? &start_.metadata
                             : !p.sequence_header             ? &other_config(p)
                             : p.is_video()                   ? &start_.video_header
                                                              : &start_.audio_header;
    const bool changed = *slot && !same_bytes(*slot, packet);
    *slot = packet;
    if (!file_) return;
    // MP4 keeps one codec config per file: a new one starts a new file at the next key frame.
    if (changed && p.sequence_header && target_.settings.format == Format::mp4) {
      spdlog::info("{}: codec config changed; next file starts at the next key frame", context_);
      splitter_.request_split();
    }
    write(p);
  }

  media::PacketPtr& other_config(const media::Packet& p) {
    for (auto& c : start_.other_configs) {
      if (c->type == p.type && c->track_id == p.track_id) return c;
    }
    return start_.other_configs.emplace_back();
  }

  void write(const media::Packet& p) {
    if (!file_) return;
    try {
      const std::uint32_t ts = splitter_.file_time(p.timestamp);
      file_->write(p, ts);
      if (ts - last_flush_ms_ >= kFlushEveryMs || ts < last_flush_ms_) {
        file_->flush();
        last_flush_ms_ = ts;
      }
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }

  void open_file(std::uint32_t dts) {
    file_start_dts_ = dts;
    last_flush_ms_ = 0;
    const std::int64_t wall_ms = session_wall_ms_ + static_cast<std::uint32_t>(dts - session_first_dts_);
    LandJob job;
    job.info.app = target_.app;
    job.info.stream = target_.stream;
    job.info.format = target_.settings.format;
    job.info.start_time = wall_ms / 1000;
    job.info.client_ip = target_.client_ip;
    try {
      const fs::path dir = fs::path(recorder_.vod_root()) / target_.app / target_.stream;
      fs::create_directories(dir);
      for (int collision = 0;; ++collision) {
        job.info.file_name =
            recording_file_name(target_.stream, job.info.start_time, target_.settings.format, collision);
        const auto final_path = dir / job.info.file_name;
        const auto part_path = fs::path(final_path.string() + std::string(kPartSuffix));
        if (fs::exists(final_path) || fs::exists(part_path)) continue;
        job.final_path = final_path.string();
        job.part_path = part_path.string();
        break;
      }
      switch (target_.settings.format) {
        case Format::flv: file_ = open_flv_writer(job.part_path, start_); break;
        case Format::mp4: file_ = open_mp4_writer(job.part_path, start_, context_); break;
        case Format::hls: file_ = open_hls_writer(job.part_path, start_, target_.settings.hls_fragment_s, context_); break;
      }
      spdlog::info("{}: recording to {}", context_, job.part_path);
      job_ = std::move(job);
    } catch (const std::exception& e) {
      spdlog::error("{}: cannot start a recording file: {}; recording stops", context_, e.what());
      file_.reset();
      failed_ = true;
    }
  }

  void close_file(std::optional<double> duration_s) {
    try {
      file_->finish();
    } catch (const std::exception& e) {
      spdlog::error("{}: {}; landing what was written", context_, e.what());
    }
    stats_.bytes_written.fetch_add(file_->bytes_written(), std::memory_order_relaxed);
    file_.reset();
    job_.duration_s = duration_s;
    recorder_.land(std::move(job_));
    job_ = {};
  }

  // A write failed (disk full, I/O error): what is on disk so far lands, recording stops.
  void fail(const std::string& what) {
    spdlog::error("{}: {}; recording stops, the file so far lands", context_, what);
    failed_ = true;
    file_.reset();  // closes without a trailer: still a valid fragmented MP4 / cut FLV
    recorder_.land(std::move(job_));
  }

  Recorder& recorder_;
  RecorderStats& stats_;
  RecordingTarget target_;
  std::string context_;
  FileSplitter splitter_;
  FileStart start_;
  std::unique_ptr<MediaFileWriter> file_;
  LandJob job_;
  std::uint32_t session_first_dts_ = 0, file_start_dts_ = 0, last_flush_ms_ = 0;
  std::int64_t session_wall_ms_ = 0;
  bool failed_ = false;
};

}  // namespace

void run_recording(Recorder& recorder, RecorderStats& stats, RecordingTarget target, SessionQueue& queue) {
  RecordingWriter writer(recorder, stats, std::move(target));
  while (auto packet = queue.pop()) writer.on_packet(packet);
  writer.finish();
}

}  // namespace liveorigin::record
