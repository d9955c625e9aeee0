#include "liveorigin/net/sender.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <spdlog/spdlog.h>

#include "liveorigin/config/config.hpp"
#include "liveorigin/net/plain_transport.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/write_watch.hpp"
#include "liveorigin/rtmp/server_session.hpp"

namespace liveorigin::net {

namespace {
// One gathered write carries at most this much; the rest follows in the next write.
constexpr std::size_t kMaxBatchPackets = 256;
constexpr std::size_t kMaxBatchBytes = 1u << 20;

const Bytes& rtmp_wire(const media::Packet& packet) {
  // Every RTMP player plays on message stream 1 with the same chunk size, so the chunked form
  // is built once per packet and shared.
  return packet.rtmp_chunks([](const media::Packet& p) {
    return rtmp::chunk_message(p, 1, rtmp::kOutChunkSize);
  });
}
}  // namespace

hub::PlayerFeed::Options feed_options(const config::Limits& limits) {
  return {static_cast<std::uint32_t>(limits.player_queue * 1000), 64u << 20};
}

void Sender::Batch::consume(std::size_t n) {
  while (n > 0 && next < iov.size()) {
    auto& v = iov[next];
    const std::size_t step = std::min(n, v.iov_len);
    v.iov_base = static_cast<char*>(v.iov_base) + step;
    v.iov_len -= step;
    n -= step;
    if (v.iov_len == 0) ++next;
  }
}

void Sender::Batch::pin() {
  for (std::size_t i = next; i < borrowed.size(); ++i) {
    if (borrowed[i]) pinned.push_back(*borrowed[i]);
    borrowed[i] = nullptr;
  }
}

void Sender::Batch::clear() {
  control.clear();
  iov.clear();
  borrowed.clear();
  pinned.clear();
  next = 0;
}

Sender::Sender(std::shared_ptr<Transport> transport, WireFormat format, hub::PlayerFeed::Options feed_options,
               ServerStats& stats, std::string log_context)
    : feed_(*this, feed_options), format_(format), fd_(transport->gathered_write_fd()), stats_(stats),
      transport_(std::move(transport)), log_context_(std::move(log_context)) {
  int nodelay = 0;
  socklen_t size = sizeof nodelay;
  const bool known = ::getsockopt(transport_->native_handle(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &size) == 0;
  nagle_ = !known || nodelay == 0;
}

Sender::Sender(std::shared_ptr<boost::asio::ip::tcp::socket> socket, WireFormat format,
               hub::PlayerFeed::Options feed_options, ServerStats& stats, std::string log_context)
    : Sender(std::make_shared<PlainTransport>(std::move(socket)), format, feed_options, stats,
             std::move(log_context)) {}

void Sender::send_control(Bytes bytes) {
  if (closed_ || bytes.empty()) return;
  control_bytes_ += bytes.size();
  control_.push_back(std::move(bytes));
  pump();
}

std::size_t Sender::unsent_control() const {
  return control_bytes_ + (batch_.done() ? 0 : batch_control_bytes_);
}

void Sender::on_feed() {
  if (closed_) return;
  if (feed_.skips() != reported_skips_) {
    reported_skips_ = feed_.skips();
    spdlog::warn("{}: player too slow, skipped to the next key frame ({} packets dropped so far)",
                 log_context_, feed_.dropped_packets());
  }
  pump();  // a sender waiting for writability writes what is unread when the socket drains
}

void Sender::close_after_flush() {
  closing_ = true;
  feed_.leave();  // no more media
  pump();
  // Still waiting for the socket: the peer does not read, so the rest would only hold memory
  // (and the connection's place) until idle_timeout. Inside pump (an end handler) the outer
  // pump writes the closing words.
  if (waiting_) close();
}

void Sender::close() {
  if (closed_) return;
  closed_ = true;
  feed_.leave();
  player_.reset();
  end_handler_ = nullptr;
  control_.clear();
  control_bytes_ = 0;
  if (!pumping_) batch_.clear();  // inside pump, write_batch still reads the batch
  batch_control_bytes_ = 0;
  transport_->close();  // a pending wait completes with operation_aborted
}

void Sender::set_write_timeout(std::chrono::milliseconds timeout) {
  stall_ = std::make_shared<WriteWatch>(transport_, stats_, timeout, log_context_);
}

void Sender::set_log_context(std::string context) {
  if (stall_) stall_->set_log_context(context);
  log_context_ = std::move(context);
}

// Writes until everything due is out, the socket buffer is full, or the connection is closed.
void Sender::pump() {
  if (pumping_ || waiting_ || closed_) return;
  pumping_ = true;
  while (!closed_) {
    if (batch_.done() && !gather()) {
      if (finish()) continue;  // the end handler queued closing words
      break;
    }
    if (!write_batch()) break;
  }
  pumping_ = false;
  if (closed_) batch_.clear();
}

// Fills the batch from the control bytes and the feed; false when there is nothing to write.
bool Sender::gather() {
  batch_.clear();
  batch_control_bytes_ = control_bytes_;
  control_bytes_ = 0;
  for (auto& bytes : control_) {
    batch_.iov.push_back({bytes.data(), bytes.size()});
    batch_.borrowed.push_back(nullptr);
    batch_.control.push_back(std::move(bytes));
  }
  control_.clear();
  if (closing_) return !batch_.iov.empty();
  std::size_t bytes = 0;
  for (std::size_t packets = 0; packets < kMaxBatchPackets; ++packets) {
    const media::PacketPtr* packet = feed_.peek();
    if (!packet) break;
    const Bytes& wire = format_ == WireFormat::flv ? (*packet)->flv_tag : rtmp_wire(**packet);
    if (packets > 0 && bytes + wire.size() > kMaxBatchBytes) break;
    bytes += wire.size();
    feed_.pop();
    // iovec wants a mutable pointer; sendmsg only reads through it.
    batch_.iov.push_back({const_cast<std::uint8_t*>(wire.data()), wire.size()});
    batch_.borrowed.push_back(packet);
  }
  if (!media_started_ && batch_.iov.size() > batch_.control.size()) {
    media_started_ = true;
    if (nagle_) push_start();
  }
  return !batch_.iov.empty();
}

// The first media write carries the start of the stream (the GOP cache) right after the play
// reply. With Nagle, its last partial segment would wait for the ACK of that reply, which a player
// with nothing to say delays by up to 40 ms: so this one write goes out with TCP_NODELAY, and
// Nagle is back on for the rest of the stream (docs/performance.md, "Nagle").
void Sender::push_start() {
  const int on = 1;
  if (::setsockopt(transport_->native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0) nodelay_ = true;
}

// One gathered write of the batch's remaining bytes: sendmsg on the fd, or through a transport
// that transforms the bytes. True when the caller may write on; false when the sender now waits
// for writability or has closed.
bool Sender::write_batch() {
  const std::span<const iovec> iov(batch_.iov.data() + batch_.next,
                                   std::min<std::size_t>(batch_.iov.size() - batch_.next, IOV_MAX));
  const auto result = fd_ >= 0 ? send_gathered(fd_, iov) : transport_->write_some(iov);
  if (nodelay_) {
    const int off = 0;
    ::setsockopt(transport_->native_handle(), IPPROTO_TCP, TCP_NODELAY, &off, sizeof off);
    nodelay_ = false;
  }
  if (result.error != 0) {
    if (result.would_block()) {
      wait_writable();
      return false;
    }
    spdlog::debug("{}: write failed: {}", log_context_, std::strerror(result.error));
    close();
    return false;
  }
  std::size_t offered = 0;
  for (const auto& v : iov) offered += v.iov_len;
  account(result.bytes);
  batch_.consume(result.bytes);
  if (result.bytes < offered) {
    // The socket buffer is full: trying again now would only return EAGAIN.
    wait_writable();
    return false;
  }
  return true;
}

void Sender::account(std::size_t n) {
  bytes_sent_ += n;
  stats_.bytes_out.fetch_add(n, std::memory_order_relaxed);
  player_.add_bytes_out(n);  // the stream's bytes_out and its usage for billing
}

void Sender::wait_writable() {
  waiting_ = true;
  batch_.pin();  // the feed may let these packets go before the socket drains
  if (stall_) stall_->begin();
  transport_->async_wait_writable([self = shared_from_this()](const boost::system::error_code& ec) {
    self->waiting_ = false;
    if (self->stall_) self->stall_->end();
    if (ec) {
      self->close();
      return;
    }
    self->pump();
  });
}

// Nothing left to write: the end of the stream and a requested close happen here, after the
// last byte of the stream, so players never lose its tail. True when the end handler queued more
// bytes to write.
bool Sender::finish() {
  if (feed_.ended() && end_handler_) {
    auto handler = std::move(end_handler_);
    end_handler_ = nullptr;
    handler();  // may queue closing words and ask to close
    if (!control_.empty()) return true;
  }
  if (closing_) close();
  return false;
}

}  // namespace liveorigin::net
