#include "liveorigin/net/write_watch.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/plain_transport.hpp"
#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {

WriteWatch::WriteWatch(std::shared_ptr<Transport> transport, ServerStats& stats, std::chrono::milliseconds timeout,
                       std::string log_context)
    : transport_(std::move(transport)), stats_(stats), timeout_(timeout), log_context_(std::move(log_context)),
      timer_(transport_->context()) {}

WriteWatch::WriteWatch(std::shared_ptr<boost::asio::ip::tcp::socket> socket, ServerStats& stats,
                       std::chrono::milliseconds timeout, std::string log_context)
    : WriteWatch(std::make_shared<PlainTransport>(std::move(socket)), stats, timeout, std::move(log_context)) {}

void WriteWatch::start_write(Handler handler) {
  handler_ = std::move(handler);
  next_ = 0;
  written_ = 0;
  begin();
  write_on();
}

void WriteWatch::write_on() {
  while (next_ < pending_.size()) {
    const auto result = transport_->write_some(std::span<const iovec>(pending_).subspan(next_));
    if (result.would_block()) {
      transport_->async_wait_writable([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec) {
          self->complete(ec);
          return;
        }
        self->write_on();
      });
      return;
    }
    if (result.error != 0) {
      complete({result.error, boost::system::system_category()});
      return;
    }
    if (result.bytes > 0) note_progress();
    written_ += result.bytes;
    for (std::size_t n = result.bytes; n > 0 && next_ < pending_.size();) {
      auto& v = pending_[next_];
      const std::size_t step = std::min(n, v.iov_len);
      v.iov_base = static_cast<char*>(v.iov_base) + step;
      v.iov_len -= step;
      n -= step;
      if (v.iov_len == 0) ++next_;
    }
  }
  complete({});
}

// Posted, never run inside async_write: a caller that writes on from its handler (a file sent
// chunk by chunk) must not grow the stack.
void WriteWatch::complete(const boost::system::error_code& ec) {
  end();
  pending_.clear();
  boost::asio::post(transport_->context(),
                    [self = shared_from_this(), handler = std::move(handler_), ec, n = written_] { handler(ec, n); });
  handler_ = nullptr;
}

void WriteWatch::begin() {
  writing_ = true;
  if (timeout_.count() <= 0) return;
  note_progress();  // a new write starts its own timeout
  watch();
}

void WriteWatch::watch() {
  if (armed_) return;  // the pending wait re-checks against last_progress_ when it fires
  armed_ = true;
  timer_.expires_at(last_progress_ + timeout_);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->armed_ = false;
    if (!self->writing_ || !self->transport_->is_open()) return;
    if (std::chrono::steady_clock::now() - self->last_progress_ < self->timeout_) {
      self->watch();  // progress since: wait for the rest of the timeout
      return;
    }
    if (!self->quiet_) {
      spdlog::warn("{}: peer read nothing for {} s, cutting it (idle_timeout)", self->log_context_,
                   self->timeout_.count() / 1000.0);
      self->stats_.refuse(Refusal::idle_timeout);
    }
    self->cut_ = true;
    self->transport_->close();  // the write completes with operation_aborted
  });
}

}  // namespace liveorigin::net
