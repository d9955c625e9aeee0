#include "liveorigin/net/shards.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/net/sender.hpp"

namespace liveorigin::net {

Shard::Shard(std::size_t index, std::chrono::milliseconds write_interval) : index_(index) {
  if (write_interval.count() > 0) batcher_ = std::make_unique<WriteBatcher>(context_, write_interval);
}

Shard::~Shard() = default;

void Shard::post(std::function<void()> task) { boost::asio::post(context_, std::move(task)); }

bool Shard::running_in_this_thread() const {
  return context_.get_executor().running_in_this_thread();
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
