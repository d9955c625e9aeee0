#include "liveorigin/net/write_watch.hpp"

#include <spdlog/spdlog.h>

#include "liveorigin/net/server_context.hpp"

namespace liveorigin::net {

WriteWatch::WriteWatch(std::shared_ptr<boost::asio::ip::tcp::socket> socket, ServerStats& stats,
                       std::chrono::milliseconds timeout, std::string log_context)
    : socket_(std::move(socket)), stats_(stats), timeout_(timeout), log_context_(std::move(log_context)),
      timer_(socket_->get_executor()) {}

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
    if (!self->writing_ || !self->socket_->is_open()) return;
    if (std::chrono::steady_clock::now() - self->last_progress_ < self->timeout_) {
      self->watch();  // progress since: wait for the rest of the timeout
      return;
    }
    spdlog::warn("{}: peer read nothing for {} s, cutting it (idle_timeout)", self->log_context_,
                 self->timeout_.count() / 1000.0);
    self->stats_.refuse(Refusal::idle_timeout);
    self->cut_ = true;
    boost::system::error_code ignored;
    self->socket_->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    self->socket_->close(ignored);  // the write completes with operation_aborted
  });
}

}  // namespace liveorigin::net
