#include "liveorigin/net/shards.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>


namespace liveorigin::net {

WriteBatcher::WriteBatcher(boost::asio::io_context& context, std::chrono::microseconds tick)
    : timer_(context), tick_(tick) {}

void WriteBatcher::defer(std::function<void()> flush) {
  due_.push_back(std::move(flush));
  if (armed_) return;
  armed_ = true;
  // Ticks fall on multiples of the tick on the steady clock instead of starting at the first
  // packet: a packet then waits half an interval on average, not a whole one.
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  timer_.expires_at(std::chrono::steady_clock::time_point((now / tick_ + 1) * tick_));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void WriteBatcher::tick() {
  armed_ = false;
  running_.swap(due_);
  for (auto& flush : running_) flush();
  running_.clear();
}

Shard::Shard(std::size_t index, std::chrono::milliseconds write_interval) : index_(index) {
  if (write_interval.count() > 0) {
    batcher_ = std::make_unique<WriteBatcher>(
        context_, std::chrono::duration_cast<std::chrono::microseconds>(write_interval) / kWritePhases);
  }
}

Shard::~Shard() = default;

void Shard::post(std::function<void()> task) { boost::asio::post(context_, std::move(task)); }

bool Shard::running_in_this_thread() const {
  return context_.get_executor().running_in_this_thread();
}

void Shard::at_next_write_tick(std::function<void()> flush) {
  if (batcher_) {
    batcher_->defer(std::move(flush));
  } else {
    flush();
  }
}

Shards::Shards(std::size_t count, std::chrono::milliseconds write_interval) {
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < count; ++i) {
    shards_.push_back(std::make_unique<Shard>(i, write_interval));
    guards_.emplace_back(shards_.back()->context().get_executor());
  }
}

Shards::~Shards() {
  stop();
  join();
}

Shard& Shards::next() { return *shards_[next_.fetch_add(1, std::memory_order_relaxed) % shards_.size()]; }

void Shards::start() {
  for (auto& shard : shards_) {
    threads_.emplace_back([&context = shard->context(), index = shard->index()] {
      try {
        context.run();
      } catch (const std::exception& e) {
        spdlog::critical("shard {} stopped on an uncaught error: {}", index, e.what());
      }
    });
  }
}

void Shards::stop() {
  guards_.clear();
  for (auto& shard : shards_) shard->context().stop();
}

void Shards::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace liveorigin::net
