// The outgoing side of one connection: control bytes, and — when it plays a stream — the media of
// that stream, read from the stream's shared ring through a hub::PlayerFeed.
//
// Writes go straight to the socket with one non-blocking sendmsg that gathers everything due;
// only when the socket buffer is full does the sender wait for writability (one async_wait), and it
// resumes where the kernel stopped. The connection is a net::Transport: when it names a fd for
// gathered writes (plain TCP, kernel TLS) the sender calls sendmsg on it directly, else it writes
// through the transport, one call per wake-up. So a player costs one syscall per wake-up and no Asio operation,
// allocation, reference count or posted completion per write. The fanout wakes the sender once per
// write tick of the shard (the WriteBatcher), not once per packet.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>  // only for the TCP socket constructor
#include <boost/container/small_vector.hpp>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/hub/fanout.hpp"
#include "liveorigin/hub/stream_stats.hpp"

namespace liveorigin::config {
struct Limits;
}

namespace liveorigin::net {

struct ServerStats;
class Transport;
class WriteWatch;

enum class WireFormat { rtmp, flv };

// A player's drop policy from the config: limits.player_queue seconds of unread media.
hub::PlayerFeed::Options feed_options(const config::Limits& limits);

class Sender : public hub::FeedReader, public std::enable_shared_from_this<Sender> {
 public:
  Sender(std::shared_ptr<Transport> transport, WireFormat format, hub::PlayerFeed::Options feed_options,
         ServerStats& stats, std::string log_context);
  // The same over a plain TCP socket.
  Sender(std::shared_ptr<boost::asio::ip::tcp::socket> socket, WireFormat format,
         hub::PlayerFeed::Options feed_options, ServerStats& stats, std::string log_context);

  // Protocol replies and acknowledgements: written at once, ahead of unwritten media.
  void send_control(Bytes bytes);

  // hub::FeedReader, on this connection's shard.
  hub::PlayerFeed& feed() override { return feed_; }
  void on_feed() override;

  // Called once the stream has ended and all of it is written: the owner adds its
  // closing words (RTMP UnpublishNotify) with send_control and calls close_after_flush().
  void set_end_handler(std::function<void()> handler) { end_handler_ = std::move(handler); }
  // Writes the control bytes not yet written (no more media), then shuts the socket down. When
  // the socket cannot take them now (a peer that does not read), closes at once instead.
  void close_after_flush();
  // Stops at once: nothing more is written, queued bytes and the socket are freed now.
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

  // Control bytes queued or in a write not yet done. A session stops reading while they pile up:
  // a peer that sends requests and never reads the replies must not grow the server.
  std::size_t unsent_control() const;

 private:
  // What one gathered write carries. Media is borrowed from the feed while the write runs; when
  // the sender has to wait for the socket, pin() takes a reference to what is left.
  // A tick usually carries one or two packets: they fit inline, with no heap block to miss.
  struct Batch {
    boost::container::small_vector<iovec, 4> iov;
    boost::container::small_vector<const media::PacketPtr*, 4> borrowed;  // per iovec: the packet, or null
    std::vector<Bytes> control;
    std::vector<media::PacketPtr> pinned;
    std::size_t next = 0;  // first iovec not yet fully written
    bool done() const { return next == iov.size(); }
    void consume(std::size_t n);
    void pin();
    void clear();
  };

  void pump();
  bool gather();
  bool write_batch();
  void push_start();
  void wait_writable();
  bool finish();
  void account(std::size_t n);

  // Touched at every write tick, so kept together right after the feed: the fanout prefetches
  // the feed and what follows it (hub::Fanout::kReaderPrefetchBytes).
  hub::PlayerFeed feed_;
  bool pumping_ = false;   // inside pump(): a nested call (an end handler's words) is picked up by it
  bool waiting_ = false;   // an async_wait for writability is pending
  bool closing_ = false;
  bool closed_ = false;
  bool media_started_ = false;  // the first media write is done (or under way)
  bool nagle_ = true;           // the socket has Nagle on (off for good with server.tcp_nodelay)
  bool nodelay_ = false;        // TCP_NODELAY is on for the first media write only
  WireFormat format_;
  int fd_;  // the transport's fd for gathered writes, or -1: write through the transport
  Batch batch_;
  std::vector<Bytes> control_;
  std::size_t control_bytes_ = 0;        // in control_
  std::size_t batch_control_bytes_ = 0;  // in batch_.control
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t reported_skips_ = 0;
  ServerStats& stats_;
  hub::PlayerCount player_;

  std::shared_ptr<Transport> transport_;
  std::string log_context_;
  std::function<void()> end_handler_;
  // The idle_timeout watch: it runs only while the sender waits for writability; a cut closes
  // the socket, which ends the wait.
  std::shared_ptr<WriteWatch> stall_;
};

}  // namespace liveorigin::net
