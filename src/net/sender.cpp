#include "liveorigin/net/sender.hpp"

#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/server_context.hpp"
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

Sender::Sender(std::shared_ptr<boost::asio::ip::tcp::socket> socket, WireFormat format,
               hub::PlayerQueue::Options queue_options, ServerStats& stats,
               std::string log_context)
    : socket_(std::move(socket)), format_(format), queue_(queue_options), stats_(stats),
      log_context_(std::move(log_context)) {}

void Sender::send_control(Bytes bytes) {
  if (closed_ || bytes.empty()) return;
  control_.push_back(std::move(bytes));
  kick();
}

void Sender::on_packet(const media::PacketPtr& packet) {
  if (closed_ || closing_ || stream_ended_) return;
  queue_.push(packet);
  if (queue_.skips() != reported_skips_) {
    reported_skips_ = queue_.skips();
    spdlog::warn("{}: player too slow, skipped to the next key frame ({} packets dropped so far)",
                 log_context_, queue_.dropped_packets());
  }
  kick();
}

void Sender::on_stream_end() {
  stream_ended_ = true;
  kick();
}

void Sender::close_after_flush() {
  closing_ = true;
  kick();
}

void Sender::close() {
  if (closed_) return;
  closed_ = true;
  player_.reset();
  if (stall_timer_) stall_timer_->cancel();
  boost::system::error_code ignored;
  socket_->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_->close(ignored);
}

void Sender::set_write_timeout(std::chrono::milliseconds timeout) {
  write_timeout_ = timeout;
  if (!stall_timer_) stall_timer_.emplace(socket_->get_executor());
}

void Sender::watch_stall() {
  if (stall_armed_ || closed_ || write_timeout_.count() <= 0) return;
  stall_armed_ = true;
  stall_timer_->expires_at(last_progress_ + write_timeout_);
  stall_timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->stall_armed_ = false;
    if (!self->writing_ || self->closed_) return;
    if (std::chrono::steady_clock::now() - self->last_progress_ < self->write_timeout_) {
      self->watch_stall();  // progress since: wait for the rest of the timeout
      return;
    }
    spdlog::warn("{}: peer read nothing for {} s, cutting it (idle_timeout)", self->log_context_,
                 self->write_timeout_.count() / 1000.0);
    self->stats_.refuse(Refusal::idle_timeout);
    self->close();
  });
}

void Sender::gather() {
  for (auto& bytes : control_) {
    buffers_.emplace_back(bytes.data(), bytes.size());
    control_in_flight_.push_back(std::move(bytes));
  }
  control_.clear();
  queue_.take(media_in_flight_, kMaxBatchPackets, kMaxBatchBytes);
  for (const auto& packet : media_in_flight_) {
    const Bytes& wire = format_ == WireFormat::flv ? packet->flv_tag : rtmp_wire(*packet);
    buffers_.emplace_back(wire.data(), wire.size());
  }
}

void Sender::kick() {
  if (writing_ || closed_) return;
  if (control_.empty() && queue_.empty()) {
    finish();
    return;
  }
  gather();
  writing_ = true;
  if (write_timeout_.count() > 0) {
    last_progress_ = std::chrono::steady_clock::now();
    watch_stall();
  }
  boost::asio::async_write(
      *socket_, buffers_,
      [this, sent = std::size_t(0)](const boost::system::error_code& ec, std::size_t n) mutable -> std::size_t {
        // Called around each partial write: notes progress for the stall watch.
        if (n != sent && write_timeout_.count() > 0) last_progress_ = std::chrono::steady_clock::now();
        sent = n;
        return boost::asio::transfer_all()(ec, n);
      },
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->writing_ = false;
        self->bytes_sent_ += n;
        self->stats_.bytes_out.fetch_add(n, std::memory_order_relaxed);
        if (auto* stream_stats = self->player_.stats()) stream_stats->add_bytes_out(n);
        self->buffers_.clear();
        self->control_in_flight_.clear();
        self->media_in_flight_.clear();
        if (ec) {
          if (!self->closed_) spdlog::debug("{}: write failed: {}", self->log_context_, ec.message());
          self->close();
          return;
        }
        self->kick();
      });
}

// Nothing left to write: the end of the stream and a requested close happen here, after the
// last queued byte, so players never lose the tail of a stream.
void Sender::finish() {
  if (stream_ended_ && end_handler_) {
    auto handler = std::move(end_handler_);
    end_handler_ = nullptr;
    handler();  // may queue closing words and ask to close
    if (!control_.empty()) {
      kick();
      return;
    }
  }
  if (closing_) close();
}

}  // namespace liveorigin::net
