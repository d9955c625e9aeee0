// The outgoing side of one connection: control bytes, and — when it plays a stream — the media of
// that stream through a bounded PlayerQueue. One gathered write is in flight at a time and it takes
// everything queued, so a player costs one writev per wake-up, not one per packet.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/hub/player_queue.hpp"
#include "liveorigin/hub/stream_stats.hpp"
#include "liveorigin/hub/subscriber.hpp"

namespace liveorigin::net {

struct ServerStats;

enum class WireFormat { rtmp, flv };

class Sender : public hub::Subscriber, public std::enable_shared_from_this<Sender> {
 public:
  Sender(std::shared_ptr<boost::asio::ip::tcp::socket> socket, WireFormat format,
         hub::PlayerQueue::Options queue_options, ServerStats& stats, std::string log_context);

  // Protocol replies and acknowledgements; each batch writes them ahead of queued media.
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

  // Counts this connection as a player of a stream (API stats) until it closes; its written
  // bytes count as the stream's bytes_out.
  void count_as_player(std::shared_ptr<hub::StreamStats> stats, hub::PlayProtocol protocol) {
    player_ = hub::PlayerCount(std::move(stats), protocol);
  }

  bool closed() const { return closed_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  const hub::PlayerQueue& queue() const { return queue_; }

 private:
  void kick();
  void gather();
  void finish();
  void watch_stall();

  std::shared_ptr<boost::asio::ip::tcp::socket> socket_;
  WireFormat format_;
  hub::PlayerQueue queue_;
  ServerStats& stats_;
  std::string log_context_;
  std::vector<Bytes> control_;
  // What the write in flight points into; kept alive until it completes.
  std::vector<Bytes> control_in_flight_;
  std::vector<media::PacketPtr> media_in_flight_;
  std::vector<boost::asio::const_buffer> buffers_;
  std::function<void()> end_handler_;
  hub::PlayerCount player_;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t reported_skips_ = 0;
  bool writing_ = false;
  bool stream_ended_ = false;
  bool closing_ = false;
  bool closed_ = false;
  // Write-stall watch: progress is noted by the write's completion condition, the timer runs only
  // while a write is in flight, at most once per timeout.
  std::chrono::milliseconds write_timeout_{0};
  std::optional<boost::asio::steady_timer> stall_timer_;
  std::chrono::steady_clock::time_point last_progress_;
  bool stall_armed_ = false;
};

}  // namespace liveorigin::net
