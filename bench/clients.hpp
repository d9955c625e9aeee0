// The generator's clients: an RTMP publisher playing a MediaSource in real time, and players over
// RTMP, HTTP-FLV or HLS, RTMP and HTTP-FLV also over TLS. A "full" player parses every message
// (latency stamps); a counting player parses only until its first video key frame, then counts
// bytes with recv(MSG_TRUNC) — over TLS, which must decrypt, with SSL_read into a scratch buffer.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "liveorigin/media/flv.hpp"
#include "liveorigin/rtmp/chunk_reader.hpp"
#include "liveorigin/rtmp/chunk_writer.hpp"

namespace liveorigin::bench {

enum class Protocol { rtmp, flv, hls };
const char* protocol_name(Protocol p);

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using Ssl = std::unique_ptr<SSL, SslFree>;

struct Target {
  Endpoint rtmp;  // the publisher's, and the players' without TLS
  Endpoint http;
  // Players over TLS (RTMPS / HTTPS-FLV) connect here instead; the publisher stays plain RTMP.
  SSL_CTX* tls = nullptr;
  Endpoint rtmps;
  Endpoint https;
  std::string sni = "localhost";
  std::string app = "live";
  std::string stream = "bench";
  std::string flv_path;  // default /APP/STREAM.flv
  std::string hls_path;  // default /APP/STREAM.m3u8
  int rcvbuf = 512 * 1024;
};

// Something registered with an epoll set.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_event(std::uint32_t events, std::int64_t now) = 0;
  int fd() const { return fd_; }

 protected:
  int fd_ = -1;
};

class Player : public Handler {
 public:
  Player(Protocol protocol, bool full, const Target& target);
  ~Player() override;

  void start(int epfd, std::int64_t now);
  void on_event(std::uint32_t events, std::int64_t now) override;
  void poll_timer(std::int64_t now);  // HLS: playlist reloads
  void close(bool abortive);

  bool counting() const { return phase_ == Phase::counting; }
  bool started() const { return phase_ != Phase::idle_unstarted; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  bool full() const { return full_; }
  Protocol protocol() const { return protocol_; }
  // "TLSv1.3 TLS_AES_128_GCM_SHA256" once a full player's handshake is done; empty otherwise.
  const std::string& tls_summary() const { return tls_summary_; }
  // connect() → first video key frame (HLS: first segment complete), ms; < 0 if none.
  double startup_ms() const { return first_key_ns_ ? (first_key_ns_ - connect_ns_) / 1e6 : -1; }

  // The measurement window: bytes between the two marks; full players keep latencies only inside.
  void mark_window_start() { window_start_bytes_ = bytes_; recording_ = true; }
  void mark_window_end() { window_bytes_ = bytes_ - window_start_bytes_; recording_ = false; }
  std::uint64_t window_bytes() const { return window_bytes_; }
  std::vector<double>& latencies_ms() { return latencies_ms_; }

 private:
  enum class Phase { idle_unstarted, connecting, tls_handshake, handshake, rtmp_connect, rtmp_create, rtmp_play, http_head,
                     media, counting, hls_idle, hls_response, hls_retry, closed };

  void fail(std::string why);
  void send_bytes(const std::uint8_t* data, std::size_t size);
  void flush();
  void flush_tls();
  void set_write_interest(bool want);
  void on_connected(std::int64_t now);
  void drive_tls_handshake(std::int64_t now);
  void on_readable(std::int64_t now);
  void on_readable_tls(std::int64_t now);
  void on_data(const std::uint8_t* data, std::size_t size, std::int64_t now);
  void on_rtmp_data(const std::uint8_t* data, std::size_t size, std::int64_t now);
  void on_rtmp_message(const rtmp::Message& m, std::int64_t now);
  void on_http_data(const std::uint8_t* data, std::size_t size, std::int64_t now);
  void on_media(media::MediaType type, ByteView body, std::int64_t now);
  void on_hls_body_complete(std::int64_t now);
  void hls_request(const std::string& path);
  void maybe_ack();

  Protocol protocol_;
  bool full_;
  const Target& target_;
  int epfd_ = -1;
  Phase phase_ = Phase::idle_unstarted;
  bool failed_ = false;
  std::string error_;
  bool want_write_ = false;
  Ssl ssl_;
  std::string tls_summary_;
  Bytes out_;
  std::size_t out_pos_ = 0;
  Bytes in_;  // handshake / HTTP head / playlist bytes
  std::unique_ptr<rtmp::ChunkReader> chunks_;
  std::vector<rtmp::Message> messages_;
  std::unique_ptr<media::FlvReader> flv_;
  std::uint32_t stream_id_ = 1;
  std::uint64_t ack_window_ = 2'500'000;
  std::uint64_t acked_ = 0;

  // HLS
  bool hls_is_playlist_ = false;
  std::uint64_t hls_body_left_ = 0;  // bytes of the current response body still to come
  std::int64_t hls_next_poll_ns_ = 0;
  std::int64_t hls_target_ns_ = 2'000'000'000;
  int hls_retries_ = 0;
  std::int64_t hls_last_seq_ = -1;   // media sequence number of the last segment fetched
  std::vector<std::string> hls_pending_;  // segment paths to fetch, in order
  std::string hls_playlist_dir_;

  std::int64_t connect_ns_ = 0;
  std::int64_t first_key_ns_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t window_start_bytes_ = 0;
  std::uint64_t window_bytes_ = 0;
  bool recording_ = false;
  std::vector<double> latencies_ms_;
};

class Publisher : public Handler {
 public:
  // Plays its own copy of `source` (copies share the tags), from the time it goes live.
  Publisher(const Target& target, const MediaSource& source);
  ~Publisher() override;

  void start(int epfd, std::int64_t now);
  void on_event(std::uint32_t events, std::int64_t now) override;
  // Sends every tag that is due; returns when the next one is (ns), or 0 if not live yet.
  std::int64_t pump(std::int64_t now);
  bool live() const { return phase_ == Phase::live; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  double max_late_ms() const { return max_late_ns_ / 1e6; }
  const MediaSource& source() const { return source_; }

  // The window: bytes the socket accepted, and the largest send backlog (bytes written by the
  // publisher but not yet accepted by the server: ours not sent plus the socket's unacknowledged
  // ones, SIOCOUTQ), sampled after every send.
  void mark_window_start() { window_start_bytes_ = bytes_sent_; recording_ = true; }
  void mark_window_end() { window_bytes_ = bytes_sent_ - window_start_bytes_; recording_ = false; }
  std::uint64_t window_bytes() const { return window_bytes_; }
  std::uint64_t max_backlog() const { return max_backlog_; }
  // Video key frames sent, and when the last one was handed to the socket (HLS availability).
  std::uint64_t key_frames_sent() const { return key_frames_; }
  std::int64_t last_key_frame_ns() const { return last_key_ns_; }

 private:
  enum class Phase { idle, connecting, handshake, connect, create, publish, live, closed };
  void fail(std::string why);
  void send_message(rtmp::Message m);
  void flush();
  void on_readable();
  void sample_backlog();

  const Target& target_;
  MediaSource source_;
  int epfd_ = -1;
  Phase phase_ = Phase::idle;
  bool failed_ = false;
  std::string error_;
  bool want_write_ = false;
  Bytes out_;
  std::size_t out_pos_ = 0;
  Bytes in_;
  rtmp::ChunkReader chunks_;
  rtmp::ChunkWriter writer_{rtmp::kDefaultChunkSize};
  std::vector<rtmp::Message> messages_;
  std::uint32_t stream_id_ = 1;
  std::uint64_t bytes_sent_ = 0;
  std::int64_t max_late_ns_ = 0;
  std::uint64_t window_start_bytes_ = 0;
  std::uint64_t window_bytes_ = 0;
  bool recording_ = false;
  std::uint64_t max_backlog_ = 0;
  std::uint64_t key_frames_ = 0;
  std::int64_t last_key_ns_ = 0;
};

}  // namespace liveorigin::bench
