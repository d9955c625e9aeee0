// Pieces shared by the load generator (liveorigin-bench) and the ideal writer: clocks, sockets,
// the looped FLV media source and the latency stamp carried in media payloads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::bench {

// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the machine, so a stamp written
// by the publisher (or the ideal writer) can be compared with the time a player receives it.
std::int64_t now_ns();

// The last 12 bytes of every audio/video payload of 32 bytes or more (sequence headers excepted)
// are overwritten with "LOB1" + the send time (now_ns, little endian). Nobody decodes the media in
// a benchmark; servers only look at the first bytes of a payload.
inline constexpr std::size_t kStampSize = 12;
bool stampable(media::MediaType type, ByteView body);
void stamp(std::uint8_t* body_end);              // writes the 12 bytes ending at body_end (now)
void stamp(std::uint8_t* body_end, std::int64_t t_ns);
bool read_stamp(ByteView body, std::int64_t& t);  // true if body ends with a stamp

bool is_sequence_header(media::MediaType type, ByteView body);
bool is_video_keyframe(ByteView body);  // a coded key frame (not the sequence header)

struct Tag {
  media::MediaType type;
  std::uint32_t timestamp;  // ms, relative to the file's first tag
  Bytes body;
  bool header = false;      // metadata or sequence header: sent once, not on every loop
};

// An FLV file played in a loop in real time with monotonic timestamps: metadata and sequence
// headers once, then the media tags again and again, each loop shifted by the file's duration.
// Copies share the file's tags and each keeps its own position and start (many publishers).
class MediaSource {
 public:
  explicit MediaSource(const std::string& path);  // throws std::runtime_error

  struct Due {
    const Tag* tag;
    std::uint32_t timestamp;  // ms on the output timeline
  };
  // Starts the timeline at `start_ns`.
  void start(std::int64_t start_ns) { start_ns_ = start_ns; }
  // The next tag and when it is due (ns), without consuming it.
  Due peek() const;
  std::int64_t due_ns() const;
  void advance();

  // FLV-tag bytes per second of the file (tag header + body + previous-tag-size).
  double byte_rate() const { return byte_rate_; }
  double duration_s() const { return duration_ms_ / 1000.0; }
  double max_key_interval_s() const { return max_key_interval_ms_ / 1000.0; }
  const std::vector<Tag>& tags() const { return *tags_; }

 private:
  std::shared_ptr<const std::vector<Tag>> tags_;
  std::size_t first_media_ = 0;   // index of the first non-header tag
  std::size_t next_ = 0;
  std::uint64_t loop_ = 0;
  std::uint32_t duration_ms_ = 0; // one loop's length on the timeline
  std::uint32_t max_key_interval_ms_ = 0;
  double byte_rate_ = 0;
  std::int64_t start_ns_ = 0;
};

// Appends a complete FLV tag (11-byte header, body, previous-tag-size).
void append_flv_tag(Bytes& out, media::MediaType type, std::uint32_t timestamp, ByteView body);

// Sockets.
struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};
Endpoint parse_endpoint(const std::string& s);  // "HOST:PORT"
int connect_nonblocking(const Endpoint& ep, int rcvbuf);  // -1 on immediate failure
int listen_tcp(const Endpoint& ep, int backlog);
void set_nonblocking(int fd);
void raise_fd_limit();

// Percentile (0..100) of a vector it sorts; 0 when empty.
double percentile(std::vector<double>& v, double p);

// Server process figures from /proc.
double process_cpu_seconds(int pid);  // utime + stime of all threads; -1 if unreadable
long process_rss_kib(int pid);
// CPU seconds the whole machine spent busy (all cores, /proc/stat, steal included): what the server
// and the generator used, plus everybody else's share, which tells whether a step was disturbed.
double machine_busy_seconds();

}  // namespace liveorigin::bench
