#include "hls_watch.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace liveorigin::bench {

namespace {

// The newest segment a live playlist lists: its media sequence number plus the entries after the
// first; -1 when it lists none.
std::int64_t newest_segment(const std::string& playlist) {
  std::int64_t first = 0, count = 0;
  std::size_t pos = 0;
  while (pos < playlist.size()) {
    std::size_t end = playlist.find('\n', pos);
    if (end == std::string::npos) end = playlist.size();
    const std::string_view line(playlist.data() + pos, end - pos);
    if (line.rfind("#EXT-X-MEDIA-SEQUENCE:", 0) == 0) first = std::atoll(std::string(line.substr(22)).c_str());
    else if (line.rfind("#EXTINF:", 0) == 0) ++count;
    pos = end + 1;
  }
  return count ? first + count - 1 : -1;
}

}  // namespace

PlaylistWatch::PlaylistWatch(const Target& target, const Publisher& publisher)
    : target_(target), publisher_(publisher), path_("/" + target.app + "/" + target.stream + ".m3u8") {}

PlaylistWatch::~PlaylistWatch() { drop_connection(); }

void PlaylistWatch::start(int epfd) {
  epfd_ = epfd;
  keys_seen_ = publisher_.key_frames_sent();
  request(0);  // the baseline: what is listed before the next key frame
}

void PlaylistWatch::drop_connection() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  connecting_ = in_flight_ = want_write_ = false;
  in_.clear();
}

void PlaylistWatch::connect_now() {
  fd_ = connect_nonblocking(target_.http, 0);
  if (fd_ < 0) {
    error_ = std::string("connect: ") + std::strerror(errno);
    return;
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  connecting_ = true;
  want_write_ = true;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = static_cast<Handler*>(this);
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd_, &ev);
}

void PlaylistWatch::request(std::int64_t now) {
  if (in_flight_) return;
  if (fd_ < 0) connect_now();
  if (fd_ < 0) return;
  out_ = "GET " + path_ + " HTTP/1.1\r\nHost: " + target_.http.host + "\r\nUser-Agent: liveorigin-bench\r\n\r\n";
  in_flight_ = true;
  next_poll_ns_ = 0;
  ++requests_;
  if (!connecting_) on_event(EPOLLOUT, now ? now : now_ns());
}

void PlaylistWatch::tick(std::int64_t now) {
  if (next_poll_ns_ && now >= next_poll_ns_) request(now);
  const std::uint64_t keys = publisher_.key_frames_sent();
  if (keys == keys_seen_) return;
  keys_seen_ = keys;
  if (pending_key_ns_ && pending_recorded_) ++not_listed_;  // that key frame closed no segment
  pending_key_ns_ = publisher_.last_key_frame_ns();
  pending_recorded_ = recording_ && last_seq_ >= 0;
  request(now);
}

void PlaylistWatch::on_event(std::uint32_t events, std::int64_t now) {
  if (fd_ < 0) return;
  if (connecting_ && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      error_ = std::string("connect: ") + std::strerror(err);
      return drop_connection();
    }
    connecting_ = false;
  }
  if (!connecting_ && !out_.empty()) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) out_.erase(0, static_cast<std::size_t>(n));
    else if (n < 0 && errno != EAGAIN) return drop_connection();
  }
  const bool want = connecting_ || !out_.empty();
  if (want != want_write_) {
    want_write_ = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.ptr = static_cast<Handler*>(this);
    epoll_ctl(epfd_, EPOLL_CTL_MOD, fd_, &ev);
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(now);
}

void PlaylistWatch::on_readable(std::int64_t now) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    // The server closed the keep-alive connection: ask again on a new one.
    const bool again = in_flight_;
    drop_connection();
    if (again) request(now);
    return;
  }
  const auto head_end = in_.find("\r\n\r\n");
  if (head_end == std::string::npos) return;
  std::string head = in_.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  const int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
  const auto cl = head.find("\r\ncontent-length:");
  if (cl == std::string::npos) {
    error_ = "playlist reply without Content-Length";
    return drop_connection();
  }
  const std::size_t length = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
  if (in_.size() < head_end + 4 + length) return;
  const std::string body = in_.substr(head_end + 4, length);
  in_.erase(0, head_end + 4 + length);
  in_flight_ = false;
  on_response(status, body, now);
}

void PlaylistWatch::on_response(int status, const std::string& body, std::int64_t now) {
  const std::int64_t newest = status == 200 ? newest_segment(body) : -1;
  // Everything up to last_seq_ was listed before this key frame was sent, so a newer segment is the
  // one it closed (an answer to a request sent just before the key frame counts too: the delay is
  // then shorter than the round trip and is recorded as the whole wait, an upper bound).
  if (pending_key_ns_ && newest > last_seq_) {
    if (pending_recorded_) listed_ms_.push_back((now - pending_key_ns_) / 1e6);
    pending_key_ns_ = 0;
  }
  last_seq_ = std::max(last_seq_, newest);
  if (!pending_key_ns_ || status != 200) return;  // a missing playlist waits for the next key frame
  // Not listed yet: ask again at once for 200 ms, then every 20 ms (a key frame that closes no
  // segment must not turn into a request loop until the next one).
  if (now - pending_key_ns_ < 200'000'000) request(now);
  else next_poll_ns_ = now + 20'000'000;
}

}  // namespace liveorigin::bench
