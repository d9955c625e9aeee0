// One live stream: owned by its publisher's loop (shard), it keeps the caches a late joiner
// needs and hands each packet to the outputs on its loop and to one Fanout per loop with players:
// a packet crosses to another shard once, whatever the number of players there.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "liveorigin/hub/gop_cache.hpp"
#include "liveorigin/hub/stream_stats.hpp"
#include "liveorigin/hub/loop.hpp"
#include "liveorigin/hub/subscriber.hpp"

namespace liveorigin::hub {

struct StreamKey {
  std::string app;
  std::string name;
  std::string str() const { return app + "/" + name; }
  auto operator<=>(const StreamKey&) const = default;
};

struct PublisherInfo {
  std::string ip;
  std::string protocol;        // "rtmp"
  std::int64_t started_at = 0; // Unix seconds
  // A cluster node's pull of a stream owned elsewhere: the owner's node id. Such a publication
  // claims no name in the registry, sends no callbacks and is not recorded (the owner does both).
  std::string pulled_from;
  bool pulled() const { return !pulled_from.empty(); }
};

struct StreamOptions {
  bool gop_cache = true;
};

class Fanout;
class FeedReader;

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  // usage: the billing counters of APP/STREAM (the hub's UsageMeter); null counts nothing.
  Stream(StreamKey key, Loop& loop, PublisherInfo publisher, StreamOptions options,
         std::shared_ptr<StreamUsage> usage = nullptr);
  ~Stream();

  const StreamKey& key() const { return key_; }
  const PublisherInfo& publisher() const { return publisher_; }
  Loop& loop() const { return loop_; }

  // Publisher side; call on loop().
  void publish(const media::PacketPtr& packet);
  void end();

  // On loop(), before the first packet: an output fed synchronously on the stream's loop (HLS
  // segmenter, recorder), held strongly until the stream ends.
  void attach(std::shared_ptr<Subscriber> output);

  // From any thread: a player. The reader is held weakly and reads on reader_loop: first the
  // cached start of the stream, then live packets, until its feed has ended.
  void subscribe(Loop& reader_loop, std::weak_ptr<FeedReader> reader);

  // Asks the publisher to stop (the API's drop and disable). The handler runs on loop().
  void set_stop_handler(std::function<void(const std::string& reason)> handler);
  void stop(std::string reason);

  std::uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
  // When the publisher last sent a packet (the stream's creation before the first); any thread.
  std::chrono::steady_clock::time_point last_media() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_media_.load(std::memory_order_relaxed)));
  }
  // Whether audio / video has been seen (an FLV header announces only the tracks that exist).
  bool has_audio() const { return has_audio_.load(std::memory_order_relaxed); }
  bool has_video() const { return has_video_.load(std::memory_order_relaxed); }
  // Track info, counters and players for the API (any thread).
  const std::shared_ptr<StreamStats>& stats() const { return stats_; }

 private:
  std::shared_ptr<Fanout> fanout_for(Loop& loop);
  void log_dropped(const media::Packet& packet);

  const StreamKey key_;
  Loop& loop_;
  const PublisherInfo publisher_;
  GopCache cache_;
  bool ended_ = false;
  // Messages dropped at ingest (see Packet::drop_reason): logged at most once per interval.
  std::chrono::steady_clock::time_point drop_logged_at_{};
  std::uint64_t drops_unlogged_ = 0;
  std::vector<std::pair<Loop*, std::shared_ptr<Fanout>>> fanouts_;
  std::vector<std::shared_ptr<Subscriber>> outputs_;
  std::function<void(const std::string&)> stop_handler_;
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::chrono::steady_clock::rep> last_media_{
      std::chrono::steady_clock::now().time_since_epoch().count()};
  std::atomic<bool> has_audio_{false};
  std::atomic<bool> has_video_{false};
  const std::shared_ptr<StreamStats> stats_;
};

}  // namespace liveorigin::hub
