#include "bench_common.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "liveorigin/media/flv.hpp"

namespace liveorigin::bench {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace {
constexpr std::uint8_t kMagic[4] = {'L', 'O', 'B', '1'};
}

bool is_sequence_header(media::MediaType type, ByteView body) {
  if (body.size() < 2) return false;
  if (type == media::MediaType::video) {
    if (body[0] & 0x80) return (body[0] & 0x0f) == 0;  // enhanced RTMP: PacketTypeSequenceStart
    return (body[0] & 0x0f) == 7 && body[1] == 0;
  }
  if (type == media::MediaType::audio) return (body[0] >> 4) == 10 && body[1] == 0;
  return false;
}

bool is_video_keyframe(ByteView body) {
  return !body.empty() && ((body[0] >> 4) & 0x7) == 1 && !is_sequence_header(media::MediaType::video, body);
}

bool stampable(media::MediaType type, ByteView body) {
  return (type == media::MediaType::audio || type == media::MediaType::video) && body.size() >= 32 &&
         !is_sequence_header(type, body);
}

void stamp(std::uint8_t* body_end) { stamp(body_end, now_ns()); }

void stamp(std::uint8_t* body_end, std::int64_t t_ns) {
  std::uint8_t* p = body_end - kStampSize;
  std::memcpy(p, kMagic, 4);
  const std::uint64_t t = static_cast<std::uint64_t>(t_ns);
  for (int i = 0; i < 8; ++i) p[4 + i] = static_cast<std::uint8_t>(t >> (8 * i));
}

bool read_stamp(ByteView body, std::int64_t& t) {
  if (body.size() < 32) return false;
  const std::uint8_t* p = body.data() + body.size() - kStampSize;
  if (std::memcmp(p, kMagic, 4) != 0) return false;
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[4 + i];
  t = static_cast<std::int64_t>(v);
  return true;
}

void append_flv_tag(Bytes& out, media::MediaType type, std::uint32_t timestamp, ByteView body) {
  const auto size = static_cast<std::uint32_t>(body.size());
  const std::uint8_t head[11] = {static_cast<std::uint8_t>(type),
                                 static_cast<std::uint8_t>(size >> 16), static_cast<std::uint8_t>(size >> 8),
                                 static_cast<std::uint8_t>(size),
                                 static_cast<std::uint8_t>(timestamp >> 16), static_cast<std::uint8_t>(timestamp >> 8),
                                 static_cast<std::uint8_t>(timestamp), static_cast<std::uint8_t>(timestamp >> 24),
                                 0, 0, 0};
  out.insert(out.end(), head, head + 11);
  out.insert(out.end(), body.begin(), body.end());
  const std::uint32_t prev = size + 11;
  const std::uint8_t tail[4] = {static_cast<std::uint8_t>(prev >> 24), static_cast<std::uint8_t>(prev >> 16),
                                static_cast<std::uint8_t>(prev >> 8), static_cast<std::uint8_t>(prev)};
  out.insert(out.end(), tail, tail + 4);
}

MediaSource::MediaSource(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  media::FlvReader reader;
  std::vector<Tag> tags;
  reader.feed(file);
  std::uint64_t bytes = 0;
  std::uint32_t first_ts = 0;
  bool have_first = false;
  while (auto tag = reader.next()) {
    if (!have_first) {
      first_ts = tag->timestamp;
      have_first = true;
    }
    Tag t{tag->type, tag->timestamp >= first_ts ? tag->timestamp - first_ts : 0,
          Bytes(tag->body.begin(), tag->body.end())};
    t.header = tag->type == media::MediaType::data || is_sequence_header(tag->type, tag->body);
    bytes += t.body.size() + 15;
    tags.push_back(std::move(t));
  }
  // Headers first, then media in file order.
  std::stable_partition(tags.begin(), tags.end(), [](const Tag& t) { return t.header; });
  first_media_ = static_cast<std::size_t>(
      std::find_if(tags.begin(), tags.end(), [](const Tag& t) { return !t.header; }) - tags.begin());
  if (first_media_ == tags.size()) throw std::runtime_error(path + ": no audio or video tags");
  std::uint32_t last = 0, last_video = 0, prev_video = 0;
  std::optional<std::uint32_t> last_key;
  for (std::size_t i = first_media_; i < tags.size(); ++i) {
    last = std::max(last, tags[i].timestamp);
    if (tags[i].type == media::MediaType::video && is_video_keyframe(tags[i].body)) {
      if (last_key) max_key_interval_ms_ = std::max(max_key_interval_ms_, tags[i].timestamp - *last_key);
      last_key = tags[i].timestamp;
    }
    if (tags[i].type == media::MediaType::video) {
      prev_video = last_video;
      last_video = tags[i].timestamp;
    }
  }
  const std::uint32_t frame = last_video > prev_video ? last_video - prev_video : 40;
  duration_ms_ = last + frame;
  if (max_key_interval_ms_ == 0) max_key_interval_ms_ = duration_ms_;  // one key frame per loop
  byte_rate_ = bytes / (duration_ms_ / 1000.0);
  tags_ = std::make_shared<const std::vector<Tag>>(std::move(tags));
}

MediaSource::Due MediaSource::peek() const {
  const Tag& t = (*tags_)[next_];
  const std::uint64_t ts = t.header ? 0 : t.timestamp + loop_ * duration_ms_;
  return {&t, static_cast<std::uint32_t>(ts)};
}

std::int64_t MediaSource::due_ns() const { return start_ns_ + std::int64_t(peek().timestamp) * 1'000'000; }

void MediaSource::advance() {
  if (++next_ == tags_->size()) {
    next_ = first_media_;
    ++loop_;
  }
}

Endpoint parse_endpoint(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("expected HOST:PORT, got " + s);
  Endpoint ep;
  ep.host = s.substr(0, colon);
  ep.port = static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1)));
  return ep;
}

namespace {
sockaddr_in to_sockaddr(const Endpoint& ep) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(ep.port);
  if (inet_pton(AF_INET, ep.host.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("not an IPv4 address: " + ep.host);
  return addr;
}
}  // namespace

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

int connect_nonblocking(const Endpoint& ep, int rcvbuf) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const sockaddr_in addr = to_sockaddr(ep);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

int listen_tcp(const Endpoint& ep, int backlog) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in addr = to_sockaddr(ep);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 || listen(fd, backlog) < 0)
    throw std::runtime_error("listen " + ep.host + ":" + std::to_string(ep.port) + ": " + std::strerror(errno));
  return fd;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100.0 * (v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - lo);
}

double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = s.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(s.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return double(utime + stime) / sysconf(_SC_CLK_TCK);
}

long process_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

double machine_busy_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[8] = {};
  in >> cpu;
  for (auto& x : v) in >> x;
  const unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];  // minus idle, iowait
  return double(busy) / sysconf(_SC_CLK_TCK);
}

}  // namespace liveorigin::bench
