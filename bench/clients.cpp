#include "clients.hpp"

#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "liveorigin/rtmp/command.hpp"
#include "liveorigin/rtmp/handshake.hpp"
#include "tls_client.hpp"

namespace liveorigin::bench {

namespace amf0 = media::amf0;

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::rtmp: return "rtmp";
    case Protocol::flv: return "flv";
    case Protocol::hls: return "hls";
  }
  return "?";
}

namespace {

constexpr std::size_t kHandshakeReply = 1 + 2 * rtmp::handshake::kPacketSize;  // S0 S1 S2
constexpr std::size_t kReadSize = 256 * 1024;
thread_local std::uint8_t read_buffer[kReadSize];

void put_u32be(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

rtmp::Message command_message(std::uint32_t csid, std::uint32_t stream_id, Bytes body) {
  rtmp::Message m;
  m.chunk_stream_id = csid;
  m.type = rtmp::message_type::kCommandAmf0;
  m.stream_id = stream_id;
  m.body = std::move(body);
  return m;
}

rtmp::Message control_message(std::uint8_t type, Bytes body) {
  rtmp::Message m;
  m.chunk_stream_id = rtmp::chunk_stream::kControl;
  m.type = type;
  m.body = std::move(body);
  return m;
}

Bytes connect_command(const Target& t, bool publisher) {
  const std::string tc_url = "rtmp://" + t.rtmp.host + ":" + std::to_string(t.rtmp.port) + "/" + t.app;
  std::vector<amf0::Property> props = {
      {"app", amf0::Value::make_string(t.app)},
      {"flashVer", amf0::Value::make_string(publisher ? "FMLE/3.0 (compatible; liveorigin-bench)" : "LNX 9,0,124,2")},
      {"tcUrl", amf0::Value::make_string(tc_url)},
  };
  if (publisher) {
    props.push_back({"type", amf0::Value::make_string("nonprivate")});
  } else {
    props.push_back({"fpad", amf0::Value::make_boolean(false)});
    props.push_back({"capabilities", amf0::Value::make_number(15)});
    props.push_back({"audioCodecs", amf0::Value::make_number(4071)});
    props.push_back({"videoCodecs", amf0::Value::make_number(252)});
    props.push_back({"videoFunction", amf0::Value::make_number(1)});
  }
  return rtmp::encode_command("connect", 1, amf0::Value::make_object(std::move(props)));
}

// "_error", or "onStatus" with level "error": the server refused.
std::optional<std::string> refusal(const rtmp::Command& c) {
  if (c.name == "_error") return "_error";
  if (c.name == "onStatus" && !c.args.empty()) {
    const auto* level = c.args[0].get("level");
    const auto* code = c.args[0].get("code");
    if (level && level->as_string() == "error") return code ? code->as_string() : "error";
  }
  return std::nullopt;
}

std::string status_code(const rtmp::Command& c) {
  if (c.name != "onStatus" || c.args.empty()) return {};
  const auto* code = c.args[0].get("code");
  return code ? code->as_string() : std::string{};
}

// Asks epoll for writability on fd when `want` changes (readability is always asked).
void update_write_interest(int fd, int epfd, Handler* handler, bool want, bool& want_write) {
  if (fd < 0 || want == want_write) return;
  want_write = want;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.ptr = handler;
  epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

// Sends what it can of out[pos..] without blocking, then asks epoll for writability only while
// bytes remain. Returns the bytes sent, or -1 with errno set when send fails.
std::int64_t send_pending(int fd, int epfd, Handler* handler, Bytes& out, std::size_t& pos, bool& want_write) {
  std::int64_t sent = 0;
  while (fd >= 0 && pos < out.size()) {
    const ssize_t n = ::send(fd, out.data() + pos, out.size() - pos, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      pos += static_cast<std::size_t>(n);
      sent += n;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      return -1;
    }
  }
  if (fd < 0) return sent;
  if (pos == out.size()) {
    out.clear();
    pos = 0;
  }
  update_write_interest(fd, epfd, handler, !out.empty(), want_write);
  return sent;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Player

Player::Player(Protocol protocol, bool full, const Target& target)
    : protocol_(protocol), full_(full), target_(target) {}

Player::~Player() { close(true); }

void Player::close(bool abortive) {
  if (fd_ < 0) return;
  if (abortive) {  // RST: no TIME_WAIT left behind by thousands of sockets
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  ssl_.reset();  // no close_notify: the socket goes at once
  ::close(fd_);
  fd_ = -1;
  if (phase_ != Phase::closed && !failed_ && first_key_ns_ == 0) fail("closed before the first key frame");
  phase_ = Phase::closed;
}

void Player::fail(std::string why) {
  if (!failed_) {
    failed_ = true;
    error_ = std::move(why);
  }
  ssl_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  phase_ = Phase::closed;
}

void Player::start(int epfd, std::int64_t now) {
  epfd_ = epfd;
  connect_ns_ = now;
  const Endpoint& ep = protocol_ == Protocol::rtmp ? (target_.tls ? target_.rtmps : target_.rtmp)
                                                   : (target_.tls ? target_.https : target_.http);
  fd_ = connect_nonblocking(ep, target_.rcvbuf);
  if (fd_ < 0) {
    failed_ = true;
    error_ = std::string("connect: ") + std::strerror(errno);
    phase_ = Phase::closed;
    return;
  }
  phase_ = Phase::connecting;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = static_cast<Handler*>(this);
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd_, &ev);
  want_write_ = true;
}

void Player::send_bytes(const std::uint8_t* data, std::size_t size) {
  out_.insert(out_.end(), data, data + size);
  flush();
}

void Player::set_write_interest(bool want) { update_write_interest(fd_, epfd_, this, want, want_write_); }

void Player::flush() {
  if (ssl_) return flush_tls();
  if (send_pending(fd_, epfd_, this, out_, out_pos_, want_write_) < 0) {
    fail(std::string("send: ") + std::strerror(errno));
  }
}

void Player::on_event(std::uint32_t events, std::int64_t now) {
  if (fd_ < 0) return;
  if (phase_ == Phase::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(std::string("connect: ") + std::strerror(err));
    if (!(events & (EPOLLOUT | EPOLLIN))) return;
    if (target_.tls) {
      try {
        ssl_ = new_client_ssl(target_.tls, fd_, target_.sni);
      } catch (const std::exception& e) {
        return fail(e.what());
      }
      phase_ = Phase::tls_handshake;
      return drive_tls_handshake(now);
    }
    on_connected(now);
    if (fd_ < 0) return;
  } else if (phase_ == Phase::tls_handshake) {
    return drive_tls_handshake(now);
  } else if (ssl_) {
    // OpenSSL may need the socket either way round for a read or a write: retry both.
    if (!out_.empty() || (events & EPOLLOUT)) flush();
    if (fd_ >= 0) on_readable_tls(now);
    return;
  } else if (events & EPOLLOUT) {
    flush();
  }
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(now);
}

void Player::drive_tls_handshake(std::int64_t now) {
  errno = 0;
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    if (full_) tls_summary_ = std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get());
    set_write_interest(false);
    on_connected(now);
    // With read-ahead OpenSSL may already hold bytes that epoll will not signal again.
    if (fd_ >= 0) on_readable_tls(now);
    return;
  }
  switch (tls_wait(ssl_.get(), r)) {
    case TlsWait::read: return set_write_interest(false);
    case TlsWait::write: return set_write_interest(true);
    case TlsWait::closed: return fail("server closed the connection during the TLS handshake");
    default: return fail("TLS handshake: " + tls_error_text());
  }
}

void Player::flush_tls() {
  while (out_pos_ < out_.size()) {
    std::size_t n = 0;
    errno = 0;
    const int r = SSL_write_ex(ssl_.get(), out_.data() + out_pos_, out_.size() - out_pos_, &n);
    if (r == 1) {
      out_pos_ += n;
      continue;
    }
    const TlsWait wait = tls_wait(ssl_.get(), r);
    if (wait == TlsWait::write) return set_write_interest(true);
    if (wait == TlsWait::read) return;  // retried on the next event (on_event flushes what is left)
    return fail("TLS write: " + tls_error_text());
  }
  out_.clear();
  out_pos_ = 0;
  set_write_interest(false);
}

void Player::on_connected(std::int64_t now) {
  switch (protocol_) {
    case Protocol::rtmp: {
      phase_ = Phase::handshake;
      Bytes c0c1{rtmp::handshake::kVersion};
      const Bytes c1 = rtmp::handshake::make_c1(std::nullopt);
      c0c1.insert(c0c1.end(), c1.begin(), c1.end());
      send_bytes(c0c1.data(), c0c1.size());
      break;
    }
    case Protocol::flv: {
      phase_ = Phase::http_head;
      const std::string path =
          target_.flv_path.empty() ? "/" + target_.app + "/" + target_.stream + ".flv" : target_.flv_path;
      const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + target_.http.host +
                              "\r\nUser-Agent: liveorigin-bench\r\nAccept: */*\r\n\r\n";
      send_bytes(reinterpret_cast<const std::uint8_t*>(req.data()), req.size());
      break;
    }
    case Protocol::hls: {
      const std::string path =
          target_.hls_path.empty() ? "/" + target_.app + "/" + target_.stream + ".m3u8" : target_.hls_path;
      const auto q = path.find('?');
      const auto slash = path.rfind('/', q == std::string::npos ? path.size() : q);
      hls_playlist_dir_ = path.substr(0, slash + 1);
      hls_request(path);
      break;
    }
  }
  (void)now;
}

void Player::on_readable(std::int64_t now) {
  for (int round = 0; round < 4 && fd_ >= 0; ++round) {
    ssize_t n;
    if (phase_ == Phase::counting || (phase_ == Phase::hls_response && !hls_is_playlist_ && !full_ &&
                                       first_key_ns_ != 0 && hls_body_left_ != UINT64_MAX)) {
      // Counting: the kernel discards the bytes without copying them (TCP MSG_TRUNC).
      std::size_t want = 64u << 20;
      if (phase_ == Phase::hls_response) want = std::min<std::uint64_t>(want, hls_body_left_);
      n = ::recv(fd_, read_buffer, want, MSG_TRUNC | MSG_DONTWAIT);
      if (n > 0) {
        bytes_ += static_cast<std::uint64_t>(n);
        if (phase_ == Phase::hls_response) {
          hls_body_left_ -= static_cast<std::uint64_t>(n);
          if (hls_body_left_ == 0) on_hls_body_complete(now);
        } else if (protocol_ == Protocol::rtmp) {
          maybe_ack();
        }
        if (phase_ == Phase::counting) return;  // one recv per wake-up; level-triggered epoll calls back
        continue;
      }
    } else {
      n = ::recv(fd_, read_buffer, kReadSize, MSG_DONTWAIT);
      if (n > 0) {
        bytes_ += static_cast<std::uint64_t>(n);
        on_data(read_buffer, static_cast<std::size_t>(n), now);
        if (static_cast<std::size_t>(n) < kReadSize) return;
        continue;
      }
    }
    if (n == 0) {
      if (first_key_ns_ == 0) return fail("server closed the connection before the first key frame");
      return fail("server closed the connection");
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return fail(std::string("recv: ") + std::strerror(errno));
  }
}

void Player::on_readable_tls(std::int64_t now) {
  // No MSG_TRUNC over TLS: every byte is decrypted into the scratch buffer, then counted (the
  // generator's cost per byte is higher than for plain TCP). Read until OpenSSL wants the socket:
  // with read-ahead it may hold decrypted bytes that epoll cannot signal.
  while (fd_ >= 0) {
    std::size_t n = 0;
    errno = 0;
    const int r = SSL_read_ex(ssl_.get(), read_buffer, kReadSize, &n);
    if (r == 1) {
      bytes_ += n;
      if (phase_ != Phase::counting) on_data(read_buffer, n, now);
      else if (protocol_ == Protocol::rtmp) maybe_ack();
      continue;
    }
    switch (tls_wait(ssl_.get(), r)) {
      case TlsWait::read: return;
      case TlsWait::write: return set_write_interest(true);
      case TlsWait::closed:
        return fail(first_key_ns_ == 0 ? "server closed the connection before the first key frame"
                                       : "server closed the connection");
      default: return fail("TLS read: " + tls_error_text());
    }
  }
}

void Player::on_data(const std::uint8_t* data, std::size_t size, std::int64_t now) {
  if (protocol_ == Protocol::rtmp) on_rtmp_data(data, size, now);
  else on_http_data(data, size, now);
}

void Player::maybe_ack() {
  if (bytes_ - acked_ < ack_window_) return;
  acked_ = bytes_;
  Bytes body;
  put_u32be(body, static_cast<std::uint32_t>(bytes_));
  Bytes wire;
  rtmp::write_message(wire, control_message(rtmp::message_type::kAcknowledgement, std::move(body)),
                      rtmp::kDefaultChunkSize);
  send_bytes(wire.data(), wire.size());
}

void Player::on_rtmp_data(const std::uint8_t* data, std::size_t size, std::int64_t now) {
  if (phase_ == Phase::handshake) {
    in_.insert(in_.end(), data, data + size);
    if (in_.size() < kHandshakeReply) return;
    // C2 echoes S1; connect rides in the same segment. (Two sends would let Nagle hold the second
    // until the server's delayed ACK of the first: a 40 ms start-up penalty of the client's own.)
    Bytes wire(in_.begin() + 1, in_.begin() + 1 + rtmp::handshake::kPacketSize);
    rtmp::write_message(wire, command_message(rtmp::chunk_stream::kCommand, 0, connect_command(target_, false)),
                        rtmp::kDefaultChunkSize);
    send_bytes(wire.data(), wire.size());
    phase_ = Phase::rtmp_connect;
    chunks_ = std::make_unique<rtmp::ChunkReader>();
    const Bytes rest(in_.begin() + kHandshakeReply, in_.end());
    in_.clear();
    in_.shrink_to_fit();
    if (!rest.empty()) on_rtmp_data(rest.data(), rest.size(), now);
    return;
  }
  try {
    messages_.clear();
    chunks_->feed(ByteView(data, size), messages_);
  } catch (const std::exception& e) {
    return fail(std::string("rtmp: ") + e.what());
  }
  for (const auto& m : messages_) {
    on_rtmp_message(m, now);
    if (fd_ < 0 || phase_ == Phase::counting) break;
  }
  maybe_ack();
  if (phase_ == Phase::counting) {
    chunks_.reset();
    messages_ = {};
  }
}

void Player::on_rtmp_message(const rtmp::Message& m, std::int64_t now) {
  using namespace rtmp::message_type;
  if (m.type == kWindowAckSize && m.body.size() >= 4) {
    ack_window_ = std::uint32_t(m.body[0]) << 24 | std::uint32_t(m.body[1]) << 16 | m.body[2] << 8 | m.body[3];
    if (ack_window_ == 0) ack_window_ = 2'500'000;
    return;
  }
  if (m.type == kAudio || m.type == kVideo) {
    on_media(static_cast<media::MediaType>(m.type), m.body, now);
    return;
  }
  if (m.type != kCommandAmf0 && m.type != kCommandAmf3) return;
  std::optional<rtmp::Command> c;
  try {
    c = rtmp::parse_command(m);
  } catch (const std::exception& e) {
    return fail(std::string("bad command: ") + e.what());
  }
  if (!c) return;
  if (auto why = refusal(*c)) return fail("refused: " + *why);
  if (c->name != "_result") return;
  if (phase_ == Phase::rtmp_connect) {
    Bytes wire;
    rtmp::write_message(wire, command_message(rtmp::chunk_stream::kCommand, 0,
                                              rtmp::encode_command("createStream", 2, amf0::Value::make_null())),
                        rtmp::kDefaultChunkSize);
    send_bytes(wire.data(), wire.size());
    phase_ = Phase::rtmp_create;
  } else if (phase_ == Phase::rtmp_create) {
    if (!c->args.empty() && c->args[0].is_number()) stream_id_ = static_cast<std::uint32_t>(c->args[0].number);
    Bytes wire;
    rtmp::write_message(wire, command_message(8, stream_id_,
                                              rtmp::encode_command("play", 0, amf0::Value::make_null(),
                                                                   {amf0::Value::make_string(target_.stream),
                                                                    amf0::Value::make_number(-2000)})),
                        rtmp::kDefaultChunkSize);
    Bytes buffer_length{0, static_cast<std::uint8_t>(rtmp::user_control::kSetBufferLength)};
    put_u32be(buffer_length, stream_id_);
    put_u32be(buffer_length, 3000);
    rtmp::write_message(wire, control_message(kUserControl, std::move(buffer_length)), rtmp::kDefaultChunkSize);
    send_bytes(wire.data(), wire.size());
    phase_ = Phase::media;
  }
}

void Player::on_media(media::MediaType type, ByteView body, std::int64_t now) {
  if (first_key_ns_ == 0) {
    if (type != media::MediaType::video || !is_video_keyframe(body)) return;
    first_key_ns_ = now;
    if (!full_) {
      phase_ = Phase::counting;
      return;
    }
  }
  std::int64_t sent = 0;
  if (recording_ && read_stamp(body, sent)) latencies_ms_.push_back((now - sent) / 1e6);
}

void Player::on_http_data(const std::uint8_t* data, std::size_t size, std::int64_t now) {
  std::size_t used = 0;
  if (phase_ == Phase::http_head || (phase_ == Phase::hls_response && hls_body_left_ == UINT64_MAX)) {
    in_.insert(in_.end(), data, data + size);
    const std::string_view text(reinterpret_cast<const char*>(in_.data()), in_.size());
    const auto end = text.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (in_.size() > 65536) fail("HTTP head too large");
      return;
    }
    const std::string head(text.substr(0, end));
    if (head.compare(0, 9, "HTTP/1.1 ") != 0 && head.compare(0, 9, "HTTP/1.0 ") != 0) return fail("not HTTP");
    const int status = std::atoi(head.c_str() + 9);
    if (status == 404 && protocol_ == Protocol::hls && hls_is_playlist_ && hls_last_seq_ < 0 &&
        ++hls_retries_ <= 20) {
      // No segment yet (the stream just started): ask again in a moment on a new connection,
      // as players do. Start-up still counts from the first connect.
      ::close(fd_);
      fd_ = -1;
      want_write_ = false;
      out_.clear();
      out_pos_ = 0;
      in_.clear();
      phase_ = Phase::hls_retry;
      hls_next_poll_ns_ = now + 500'000'000;
      return;
    }
    if (status != 200) return fail("HTTP " + std::to_string(status));
    Bytes rest(in_.begin() + static_cast<long>(end + 4), in_.end());
    in_.clear();
    if (protocol_ == Protocol::flv) {
      phase_ = Phase::media;
      flv_ = std::make_unique<media::FlvReader>(true, 16u << 20);
      if (!rest.empty()) on_http_data(rest.data(), rest.size(), now);
      return;
    }
    // HLS: a Content-Length body.
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    const auto cl = lower.find("\r\ncontent-length:");
    if (cl == std::string::npos) return fail("HLS reply without Content-Length");
    hls_body_left_ = std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
    if (rest.empty() && hls_body_left_ == 0) return on_hls_body_complete(now);
    if (!rest.empty()) on_http_data(rest.data(), rest.size(), now);
    return;
  }
  if (protocol_ == Protocol::hls) {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(size, hls_body_left_));
    if (hls_is_playlist_) in_.insert(in_.end(), data, data + take);
    hls_body_left_ -= take;
    used = take;
    if (hls_body_left_ == 0) on_hls_body_complete(now);
    if (used < size && fd_ >= 0) on_http_data(data + used, size - used, now);
    return;
  }
  // HTTP-FLV body.
  try {
    flv_->feed(ByteView(data, size));
    while (auto tag = flv_->next()) {
      on_media(tag->type, tag->body, now);
      if (phase_ == Phase::counting) {
        flv_.reset();
        return;
      }
    }
  } catch (const std::exception& e) {
    fail(std::string("flv: ") + e.what());
  }
}

void Player::hls_request(const std::string& path) {
  hls_is_playlist_ = path.find(".m3u8") != std::string::npos;
  hls_body_left_ = UINT64_MAX;  // head not parsed yet
  phase_ = Phase::hls_response;
  in_.clear();
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + target_.http.host +
                          "\r\nUser-Agent: liveorigin-bench\r\nConnection: keep-alive\r\n\r\n";
  send_bytes(reinterpret_cast<const std::uint8_t*>(req.data()), req.size());
}

void Player::on_hls_body_complete(std::int64_t now) {
  if (hls_is_playlist_) {
    std::istringstream lines(std::string(in_.begin(), in_.end()));
    in_.clear();
    std::string line;
    std::int64_t seq = 0;
    std::vector<std::pair<std::int64_t, std::string>> segments;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("#EXT-X-TARGETDURATION:", 0) == 0) {
        hls_target_ns_ = std::max<std::int64_t>(1, std::atoll(line.c_str() + 22)) * 1'000'000'000;
      } else if (line.rfind("#EXT-X-MEDIA-SEQUENCE:", 0) == 0) {
        seq = std::atoll(line.c_str() + 22);
      } else if (!line.empty() && line[0] != '#') {
        std::string path = line;
        if (path.rfind("http://", 0) == 0) path = path.substr(path.find('/', 7));
        else if (path[0] != '/') path = hls_playlist_dir_ + path;
        segments.emplace_back(seq++, path);
      }
    }
    if (hls_last_seq_ < 0 && !segments.empty()) hls_last_seq_ = segments.back().first - 1;  // start at the live edge
    for (auto& [s, path] : segments)
      if (s > hls_last_seq_) {
        hls_pending_.push_back(path);
        hls_last_seq_ = s;
      }
  } else {
    if (first_key_ns_ == 0) first_key_ns_ = now;
  }
  if (!hls_pending_.empty()) {
    const std::string next = hls_pending_.front();
    hls_pending_.erase(hls_pending_.begin());
    hls_request(next);
    return;
  }
  phase_ = Phase::hls_idle;
  hls_next_poll_ns_ = now + std::max<std::int64_t>(hls_target_ns_ / 2, 250'000'000);
}

void Player::poll_timer(std::int64_t now) {
  if (phase_ == Phase::hls_retry && now >= hls_next_poll_ns_) {
    const std::int64_t first_connect = connect_ns_;
    start(epfd_, now);
    connect_ns_ = first_connect;
    return;
  }
  if (phase_ != Phase::hls_idle || now < hls_next_poll_ns_) return;
  const std::string path =
      target_.hls_path.empty() ? "/" + target_.app + "/" + target_.stream + ".m3u8" : target_.hls_path;
  hls_request(path);
}

// ---------------------------------------------------------------------------------------------
// Publisher

Publisher::Publisher(const Target& target, const MediaSource& source) : target_(target), source_(source) {}

Publisher::~Publisher() {
  if (fd_ >= 0) ::close(fd_);
}

void Publisher::fail(std::string why) {
  if (!failed_) {
    failed_ = true;
    error_ = std::move(why);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  phase_ = Phase::closed;
}

void Publisher::start(int epfd, std::int64_t now) {
  (void)now;
  epfd_ = epfd;
  fd_ = connect_nonblocking(target_.rtmp, 0);
  if (fd_ < 0) return fail(std::string("connect: ") + std::strerror(errno));
  phase_ = Phase::connecting;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = static_cast<Handler*>(this);
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd_, &ev);
  want_write_ = true;
}

void Publisher::send_message(rtmp::Message m) {
  writer_.write(out_, m);
  flush();
}

void Publisher::flush() {
  const auto sent = send_pending(fd_, epfd_, this, out_, out_pos_, want_write_);
  if (sent < 0) return fail(std::string("send: ") + std::strerror(errno));
  bytes_sent_ += static_cast<std::uint64_t>(sent);
  if (recording_) sample_backlog();
}

void Publisher::sample_backlog() {
  int unacked = 0;
  if (fd_ < 0 || ioctl(fd_, SIOCOUTQ, &unacked) != 0) unacked = 0;
  max_backlog_ = std::max<std::uint64_t>(max_backlog_, out_.size() - out_pos_ + static_cast<std::uint64_t>(unacked));
}

void Publisher::on_event(std::uint32_t events, std::int64_t now) {
  (void)now;
  if (fd_ < 0) return;
  if (phase_ == Phase::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(std::string("connect: ") + std::strerror(err));
    phase_ = Phase::handshake;
    Bytes c0c1{rtmp::handshake::kVersion};
    const Bytes c1 = rtmp::handshake::make_c1(std::nullopt);
    c0c1.insert(c0c1.end(), c1.begin(), c1.end());
    out_.insert(out_.end(), c0c1.begin(), c0c1.end());
    flush();
    return;
  }
  if (events & EPOLLOUT) flush();
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable();
}

void Publisher::on_readable() {
  std::uint8_t buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return fail("server closed the publishing connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return fail(std::string("recv: ") + std::strerror(errno));
    }
    ByteView data(buf, static_cast<std::size_t>(n));
    if (phase_ == Phase::handshake) {
      in_.insert(in_.end(), data.begin(), data.end());
      if (in_.size() < kHandshakeReply) continue;
      // C2 (= S1), Set Chunk Size and connect in one send.
      out_.insert(out_.end(), in_.begin() + 1, in_.begin() + 1 + rtmp::handshake::kPacketSize);
      Bytes size;
      put_u32be(size, rtmp::kOutChunkSize);
      writer_.write(out_, control_message(rtmp::message_type::kSetChunkSize, std::move(size)));
      writer_.set_chunk_size(rtmp::kOutChunkSize);
      send_message(command_message(rtmp::chunk_stream::kCommand, 0, connect_command(target_, true)));
      phase_ = Phase::connect;
      data = ByteView(in_).subspan(kHandshakeReply);
      const Bytes rest(data.begin(), data.end());
      in_.clear();
      if (rest.empty()) continue;
      in_ = rest;
      data = ByteView(in_);
    }
    try {
      messages_.clear();
      chunks_.feed(data, messages_);
    } catch (const std::exception& e) {
      return fail(std::string("rtmp: ") + e.what());
    }
    for (const auto& m : messages_) {
      if (m.type != rtmp::message_type::kCommandAmf0 && m.type != rtmp::message_type::kCommandAmf3) continue;
      std::optional<rtmp::Command> c;
      try {
        c = rtmp::parse_command(m);
      } catch (const std::exception& e) {
        return fail(std::string("bad command: ") + e.what());
      }
      if (!c) continue;
      if (auto why = refusal(*c)) return fail("publish refused: " + *why);
      if (c->name == "_result" && phase_ == Phase::connect) {
        const auto null = amf0::Value::make_null();
        const auto name = amf0::Value::make_string(target_.stream);
        writer_.write(out_, command_message(rtmp::chunk_stream::kCommand, 0,
                                            rtmp::encode_command("releaseStream", 2, null, {name})));
        writer_.write(out_, command_message(rtmp::chunk_stream::kCommand, 0,
                                            rtmp::encode_command("FCPublish", 3, null, {name})));
        send_message(command_message(rtmp::chunk_stream::kCommand, 0, rtmp::encode_command("createStream", 4, null)));
        phase_ = Phase::create;
      } else if (c->name == "_result" && phase_ == Phase::create && c->transaction_id == 4) {
        if (!c->args.empty() && c->args[0].is_number()) stream_id_ = static_cast<std::uint32_t>(c->args[0].number);
        send_message(command_message(
            8, stream_id_,
            rtmp::encode_command("publish", 5, amf0::Value::make_null(),
                                 {amf0::Value::make_string(target_.stream), amf0::Value::make_string("live")})));
        phase_ = Phase::publish;
      } else if (phase_ == Phase::publish && status_code(*c) == "NetStream.Publish.Start") {
        phase_ = Phase::live;
        source_.start(now_ns());
      }
    }
    in_.clear();
  }
}

std::int64_t Publisher::pump(std::int64_t now) {
  if (phase_ != Phase::live) return 0;
  bool key = false;
  while (source_.due_ns() <= now) {
    const auto due = source_.peek();
    max_late_ns_ = std::max(max_late_ns_, now - source_.due_ns());
    rtmp::Message m;
    m.type = static_cast<std::uint8_t>(due.tag->type);
    m.chunk_stream_id = rtmp::chunk_stream_for(due.tag->type);
    m.stream_id = stream_id_;
    m.timestamp = due.timestamp;
    if (due.tag->type == media::MediaType::data) {
      amf0::encode_string(m.body, "@setDataFrame");
      m.body.insert(m.body.end(), due.tag->body.begin(), due.tag->body.end());
    } else {
      m.body = due.tag->body;
      if (stampable(due.tag->type, m.body)) stamp(m.body.data() + m.body.size());
      key = key || (due.tag->type == media::MediaType::video && is_video_keyframe(due.tag->body));
    }
    writer_.write(out_, m);
    source_.advance();
  }
  flush();
  if (key) {
    ++key_frames_;
    last_key_ns_ = now_ns();
  }
  return source_.due_ns();
}

}  // namespace liveorigin::bench
