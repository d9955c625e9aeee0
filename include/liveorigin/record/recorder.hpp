// The recorder: records the publishing sessions it is given (as hub outputs), lands their files
// atomically, recovers the `.part` files a crash left, and reports every landed file.
// Threads: a stream's packets are only queued on its shard (a bounded queue per recording); each
// recording has a writer thread, and one landing thread renames and remuxes finished files, so a
// long MP4 remux never holds up a recording's writes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "liveorigin/hub/subscriber.hpp"
#include "liveorigin/record/recording_file.hpp"

namespace liveorigin::record {

// A file that landed: what the recordings table, the record callback and the API show.
struct LandedRecording {
  std::string app, stream;
  std::string file_path;  // absolute
  std::string file_name;
  std::string vod_path;   // "/vod/APP/STREAM/FILE" on the media HTTP port
  Format format = Format::mp4;
  std::uint64_t file_size = 0;
  std::int64_t start_time = 0;  // Unix seconds
  std::int64_t end_time = 0;
  double duration = 0;          // seconds
  bool recovered = false;       // rebuilt from a .part left by a crash
  std::string client_ip;        // the publisher's; empty for recovered files
};

// Counters since start (for logs and /metrics).
struct RecorderStats {
  std::atomic<std::uint64_t> files_landed{0};
  std::atomic<std::uint64_t> files_recovered{0};
  std::atomic<std::uint64_t> packets_dropped{0};   // the disk fell behind: queue full
  std::atomic<std::uint64_t> queue_overflows{0};   // episodes of the above
  std::atomic<std::uint64_t> bytes_written{0};     // recording writes (.part files)
  std::atomic<std::uint64_t> landing_bytes_read{0};
  std::atomic<std::uint64_t> landing_bytes_written{0};  // MP4 remux output
  std::atomic<std::int64_t> active{0};
};

struct RecorderOptions {
  std::string vod_root;                       // DATA/vod
  std::size_t queue_bytes = 64u << 20;        // per recording, before packets are dropped
  std::function<void(const LandedRecording&)> on_landed;  // on the landing thread
};

struct RecordingTarget {
  std::string app, stream, client_ip;
  RecordSettings settings;
};

// A finished (or crashed) .part to land, with what is known of it.
struct LandJob {
  std::string part_path, final_path;
  LandedRecording info;               // app, stream, names, start_time, client_ip, recovered
  std::optional<double> duration_s;   // known from the stream at a split; else read from the file
};

class SessionQueue;

class Recorder {
 public:
  explicit Recorder(RecorderOptions options);
  ~Recorder();  // drain()
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Lands every .part file under vod_root (left by a crash), on the landing thread; call once at
  // start, before any recording begins.
  void recover();

  // Starts recording a session: attach the returned output to the stream (on its loop).
  std::shared_ptr<hub::Subscriber> start(RecordingTarget target);

  // Ends every recording still running, waits for their files to land. Idempotent.
  void drain();

  const RecorderStats& stats() const { return stats_; }
  const std::string& vod_root() const { return options_.vod_root; }

  // Used by recording writers (any thread).
  void land(LandJob job);

 private:
  struct Worker {
    std::weak_ptr<SessionQueue> queue;
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void run_landing();
  void land_now(LandJob& job);
  void reap_finished();

  RecorderOptions options_;
  RecorderStats stats_;
  std::mutex workers_mutex_;
  std::list<Worker> workers_;
  std::mutex landing_mutex_;
  std::condition_variable landing_wake_;
  std::deque<LandJob> landing_jobs_;
  bool landing_stop_ = false;
  bool drained_ = false;
  std::thread landing_thread_;
};

}  // namespace liveorigin::record
