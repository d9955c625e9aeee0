// The outgoing side of one connection: control bytes, and — when it plays a stream — the media of
// that stream through a bounded PlayerQueue.
//
// Writes go straight to the socket with one non-blocking sendmsg that gathers everything queued;
// only when the socket buffer is full does the sender wait for writability (one async_wait), and it
// resumes where the kernel stopped. So a player costs one syscall per wake-up and no Asio operation,
// allocation or posted completion per write. Media may also be gathered for a few milliseconds by
// the shard's WriteBatcher, which turns one write per packet into one write per tick.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/hub/player_queue.hpp"
#include "liveorigin/hub/stream_stats.hpp"
#include "liveorigin/hub/subscriber.hpp"

namespace liveorigin::net {

struct ServerStats;
class WriteBatcher;
class WriteWatch;

enum class WireFormat { rtmp, flv };

class Sender : public hub::Subscriber, public std::enable_shared_from_this<Sender> {
 public:
  // batcher: the shard's, to gather media for a few milliseconds; null writes each packet at once.
  Sender(std::shared_ptr<boost::asio::ip::tcp::socket> socket, WireFormat format,
         hub::PlayerQueue::Options queue_options, ServerStats& stats, std::string log_context,
         WriteBatcher* batcher = nullptr);

  // Protocol replies and acknowledgements: written at once, ahead of queued media.
  void send_control(Bytes bytes);

  // hub::Subscriber, on this connection's shard.
  void on_packet(const media::PacketPtr& packet) override;
  void on_stream_end() override;

  // Called once the stream has ended and every queued packet is written: the owner adds its
  // closing words (RTMP UnpublishNotify) with send_control and calls close_after_flush().
  void set_end_handler(std::function<void()> handler) { end_handler_ = std::move(handler); }
  // Writes what is queued, then shuts the socket down.
  void close_after_flush();
  // Stops at once: nothing more is written.
  void close();
  // limits.idle_timeout: a write that makes no progress for this long (a peer that never reads)
  // closes the connection, logged and counted as an idle_timeout refusal. Unset: no limit.
  void set_write_timeout(std::chrono::milliseconds timeout);
  // The prefix of this sender's log lines ("rtmp IP:PORT APP/STREAM").
  void set_log_context(std::string context);

  // Counts this connection as a player of a stream (API stats) until it closes; its written
  // bytes count as the stream's bytes_out.
  void count_as_player(std::shared_ptr<hub::StreamStats> stats, hub::PlayProtocol protocol) {
    player_ = hub::PlayerCount(std::move(stats), protocol);
  }

  bool closed() const { return closed_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  const hub::PlayerQueue& queue() const { return queue_; }

 private:
  friend class WriteBatcher;

  // What one gathered write carries, kept alive until the kernel has taken all of it.
  struct Batch {
    std::vector<Bytes> control;
    std::vector<media::PacketPtr> media;
    std::vector<iovec> iov;
    std::size_t next = 0;  // first iovec not yet fully written
    bool done() const { return next == iov.size(); }
    void consume(std::size_t n);
    void clear();
  };

  void pump();
  bool gather();
  bool write_batch();
  void wait_writable();
  bool finish();
  void account(std::size_t n);

  std::shared_ptr<boost::asio::ip::tcp::socket> socket_;
  WireFormat format_;
  hub::PlayerQueue queue_;
  ServerStats& stats_;
  std::string log_context_;
  WriteBatcher* batcher_;
  std::vector<Bytes> control_;
  Batch batch_;
  std::function<void()> end_handler_;
  hub::PlayerCount player_;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t reported_skips_ = 0;
  bool pumping_ = false;   // inside pump(): a nested call (an end handler's words) is picked up by it
  bool waiting_ = false;   // an async_wait for writability is pending
  bool deferred_ = false;  // registered with the batcher for its next tick
  bool stream_ended_ = false;
  bool closing_ = false;
  bool closed_ = false;
  // The idle_timeout watch: it runs only while the sender waits for writability; a cut closes
  // the socket, which ends the wait.
  std::shared_ptr<WriteWatch> stall_;
};

// One per shard: gathers the media of the shard's players for `interval` and then writes each of
// them once. On this kernel a write costs far more than the bytes it carries (docs/performance.md),
// so N players x ~75 packets/s become N players x (1 s / interval) writes, for at most `interval`
// of added latency. Control bytes never wait for it.
class WriteBatcher {
 public:
  WriteBatcher(boost::asio::io_context& context, std::chrono::milliseconds interval);
  std::chrono::milliseconds interval() const { return interval_; }
  // The sender writes at the next tick.
  void defer(std::shared_ptr<Sender> sender);

 private:
  void tick();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds interval_;
  std::vector<std::shared_ptr<Sender>> due_;
  std::vector<std::shared_ptr<Sender>> writing_;
  std::minstd_rand random_;  // where each tick starts writing
  bool armed_ = false;
};

}  // namespace liveorigin::net
