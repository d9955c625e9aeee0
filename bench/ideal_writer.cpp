// liveorigin-ideal-writer: the cost floor for live fan-out on this machine. A trivial HTTP-FLV
// server with no protocol work: it plays an FLV file in a loop in real time, appends each tag once,
// when it is due, to one shared buffer (stamped with the time it fell due, like the bench
// publisher's send stamps, so players measure its added latency), and writes the new bytes to every socket with one
// gathered write per player per wake-up. Players start at the last key frame. Whatever liveorigin
// costs above this is its own overhead; what this costs is the kernel's.
//
//   liveorigin-ideal-writer --listen 127.0.0.1:8081 --file test.flv [--batch-ms 0|20]
//                           [--sockopt nagle|nodelay|cork]
//
// --batch-ms 0 writes each tag as soon as it is due (liveorigin writes each packet as it arrives);
// --batch-ms N wakes every N ms and writes all tags that fell due meanwhile.
// --sockopt: nagle (kernel default), nodelay (TCP_NODELAY on every socket), cork (TCP_CORK set
// around each write, so the write leaves in full-sized segments and the remainder is pushed at once).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_common.hpp"

using namespace liveorigin;
using namespace liveorigin::bench;

namespace {

enum class SockOpt { nagle, nodelay, cork };

struct Conn {
  int fd = -1;
  bool live = false;          // request read, media flowing
  bool blocked = false;       // last write hit EAGAIN: wait for EPOLLOUT
  std::string request;
  std::size_t prelude_pos = 0;
  std::uint64_t pos = 0;      // absolute offset in the shared stream
};

class Writer {
 public:
  Writer(MediaSource& source, int listen_fd, int batch_ms, SockOpt opt, int sndbuf)
      : source_(source), listen_fd_(listen_fd), batch_ns_(std::int64_t(batch_ms) * 1'000'000), opt_(opt),
        sndbuf_(sndbuf) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd_;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fd_, &ev);
    const std::string head =
        "HTTP/1.1 200 OK\r\nServer: liveorigin-ideal-writer\r\nContent-Type: video/x-flv\r\n"
        "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
    prelude_.assign(head.begin(), head.end());
    const std::uint8_t flv_header[13] = {'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0};
    prelude_.insert(prelude_.end(), flv_header, flv_header + 13);
    for (const Tag& t : source_.tags())
      if (t.header) append_flv_tag(prelude_, t.type, 0, t.body);
    max_behind_ = static_cast<std::uint64_t>(source_.byte_rate() * 4) + (4u << 20);
  }

  void run() {
    source_.start(now_ns());
    std::int64_t next_batch = now_ns() + batch_ns_;
    epoll_event events[1024];
    for (;;) {
      std::int64_t now = now_ns();
      const std::int64_t wake = batch_ns_ > 0 ? next_batch : source_.due_ns();
      if (now >= wake) {
        if (append_due(now)) write_all();
        if (batch_ns_ > 0) next_batch = std::max(next_batch + batch_ns_, now);
        continue;
      }
      const int timeout = static_cast<int>((wake - now + 999'999) / 1'000'000);
      const int n = epoll_wait(epfd_, events, 1024, timeout);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listen_fd_) {
          accept_all();
          continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;
        Conn& c = it->second;
        if (events[i].events & (EPOLLHUP | EPOLLERR)) {
          drop(c);
          continue;
        }
        if (events[i].events & EPOLLIN) {
          if (!on_readable(c)) continue;
        }
        if ((events[i].events & EPOLLOUT) && c.live) {
          c.blocked = false;
          write_one(c);
        }
      }
      trim();
    }
  }

 private:
  bool append_due(std::int64_t now) {
    bool any = false;
    while (source_.due_ns() <= now) {
      const auto due = source_.peek();
      if (!due.tag->header) {
        if (due.tag->type == media::MediaType::video && is_video_keyframe(due.tag->body))
          last_key_ = base_ + buf_.size();
        // Stamped with the time the tag fell due (when a publisher would have sent it), so batching
        // shows in the players' latency.
        append_flv_tag(buf_, due.tag->type, due.timestamp, due.tag->body);
        if (stampable(due.tag->type, due.tag->body)) stamp(buf_.data() + buf_.size() - 4, source_.due_ns());
        any = true;
      }
      source_.advance();
    }
    return any;
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      if (opt_ == SockOpt::nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (sndbuf_ > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf_, sizeof sndbuf_);
      Conn c;
      c.fd = fd;
      conns_.emplace(fd, c);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    }
  }

  // false if the connection was dropped
  bool on_readable(Conn& c) {
    char tmp[4096];
    const ssize_t n = recv(c.fd, tmp, sizeof tmp, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      drop(c);
      return false;
    }
    if (n < 0 || c.live) return true;
    c.request.append(tmp, static_cast<std::size_t>(n));
    if (c.request.find("\r\n\r\n") == std::string::npos) {
      if (c.request.size() > 16384) {
        drop(c);
        return false;
      }
      return true;
    }
    c.request.clear();
    c.request.shrink_to_fit();
    c.live = true;
    c.pos = last_key_;
    ++live_;
    write_one(c);
    return c.fd >= 0;
  }

  void write_all() {
    for (auto it = conns_.begin(); it != conns_.end();) {
      Conn& c = (it++)->second;  // write_one may erase c
      if (c.live && !c.blocked) write_one(c);
    }
  }

  void write_one(Conn& c) {
    const std::uint64_t end = base_ + buf_.size();
    if (end - c.pos > max_behind_) c.pos = last_key_;  // too slow: resume at the latest key frame
    iovec iov[2];
    int n_iov = 0;
    if (c.prelude_pos < prelude_.size())
      iov[n_iov++] = {prelude_.data() + c.prelude_pos, prelude_.size() - c.prelude_pos};
    if (c.pos < end) iov[n_iov++] = {buf_.data() + (c.pos - base_), static_cast<std::size_t>(end - c.pos)};
    if (n_iov == 0) return;
    const int one = 1, zero = 0;
    if (opt_ == SockOpt::cork) setsockopt(c.fd, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
    ssize_t n = writev(c.fd, iov, n_iov);
    if (opt_ == SockOpt::cork) setsockopt(c.fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof zero);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) n = 0;
      else return drop(c);
    }
    auto written = static_cast<std::size_t>(n);
    const std::size_t from_prelude = std::min(written, prelude_.size() - c.prelude_pos);
    c.prelude_pos += from_prelude;
    c.pos += written - from_prelude;
    const bool done = c.prelude_pos == prelude_.size() && c.pos == end;
    if (done == !c.blocked) return;
    c.blocked = !done;
    epoll_event ev{};
    ev.events = EPOLLIN | (c.blocked ? EPOLLOUT : 0u);
    ev.data.fd = c.fd;
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void drop(Conn& c) {
    if (c.live) --live_;
    const int fd = c.fd;
    close(fd);
    conns_.erase(fd);
  }

  // Forgets the shared bytes every player (and the key-frame start point) has passed.
  void trim() {
    if (buf_.size() < (8u << 20)) return;
    std::uint64_t keep = last_key_;
    for (const auto& [fd, c] : conns_)
      if (c.live) keep = std::min(keep, c.pos);
    if (keep - base_ < (4u << 20)) return;
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<long>(keep - base_));
    base_ = keep;
  }

  MediaSource& source_;
  int listen_fd_;
  int epfd_ = -1;
  std::int64_t batch_ns_;
  SockOpt opt_;
  int sndbuf_;
  Bytes prelude_;
  Bytes buf_;
  std::uint64_t base_ = 0;
  std::uint64_t last_key_ = 0;
  std::uint64_t max_behind_ = 0;
  std::size_t live_ = 0;
  std::unordered_map<int, Conn> conns_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:8081", file;
  int batch_ms = 0, sndbuf = 0;
  SockOpt opt = SockOpt::nagle;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--listen" && v) listen = argv[++i];
    else if (a == "--file" && v) file = argv[++i];
    else if (a == "--batch-ms" && v) batch_ms = std::atoi(argv[++i]);
    else if (a == "--sndbuf" && v) sndbuf = std::atoi(argv[++i]);
    else if (a == "--sockopt" && v) {
      const std::string s = argv[++i];
      opt = s == "nodelay" ? SockOpt::nodelay : s == "cork" ? SockOpt::cork : SockOpt::nagle;
    } else {
      std::fprintf(stderr, "usage: liveorigin-ideal-writer --file F.flv [--listen HOST:PORT] [--batch-ms MS] "
                           "[--sockopt nagle|nodelay|cork] [--sndbuf BYTES]\n");
      return 2;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr, "liveorigin-ideal-writer: --file is required\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  try {
    MediaSource source(file);
    const int fd = listen_tcp(parse_endpoint(listen), 4096);
    Writer writer(source, fd, batch_ms, opt, sndbuf);
    writer.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "liveorigin-ideal-writer: %s\n", e.what());
    return 1;
  }
}
