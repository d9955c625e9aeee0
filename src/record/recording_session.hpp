// One recorded publishing session: the shard side (a bounded packet queue with a drop policy) and
// the writer side (a thread that turns packets into files and hands finished files to landing).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "liveorigin/hub/subscriber.hpp"
#include "liveorigin/record/recorder.hpp"

namespace liveorigin::record {

// Packets from the shard to the writer thread, bounded in bytes. When the disk falls behind the
// queue drops media (never sequence headers or metadata) until the next key frame, so what is
// recorded after the gap starts decodable.
class SessionQueue {
 public:
  SessionQueue(std::size_t max_bytes, RecorderStats& stats, std::string log_context)
      : max_bytes_(max_bytes), stats_(stats), log_context_(std::move(log_context)) {}

  // Never blocks for long (the shard calls it per packet).
  void push(const media::PacketPtr& packet);
  // No packet follows; the writer finishes its file.
  void close();
  // Waits for the next packet; nullptr once closed and empty.
  media::PacketPtr pop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<media::PacketPtr> packets_;
  std::size_t bytes_ = 0;
  std::size_t max_bytes_;
  bool closed_ = false;
  bool dropping_ = false;
  bool has_video_ = false;
  std::uint64_t dropped_in_episode_ = 0;
  RecorderStats& stats_;
  std::string log_context_;
};

// The hub output: queues packets on the shard, closes the queue when the stream ends.
class RecordingInput : public hub::Subscriber {
 public:
  explicit RecordingInput(std::shared_ptr<SessionQueue> queue) : queue_(std::move(queue)) {}
  ~RecordingInput() override { queue_->close(); }
  void on_packet(const media::PacketPtr& packet) override { queue_->push(packet); }
  void on_stream_end() override { queue_->close(); }

 private:
  std::shared_ptr<SessionQueue> queue_;
};

// The writer thread's body: runs until the queue is closed and drained, landing every file.
void run_recording(Recorder& recorder, RecorderStats& stats, RecordingTarget target,
                   SessionQueue& queue);

}  // namespace liveorigin::record
