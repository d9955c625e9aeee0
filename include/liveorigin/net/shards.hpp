// One io_context per core, each run by one thread ("shard"). A connection lives on one shard for
// its whole life, so its state needs no locks.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "liveorigin/hub/loop.hpp"

namespace liveorigin::net {

class WriteBatcher;

class Shard : public hub::Loop {
 public:
  // write_interval: how long players' media is gathered before one write (0: written at once).
  Shard(std::size_t index, std::chrono::milliseconds write_interval);
  ~Shard() override;
  void post(std::function<void()> task) override;
  bool running_in_this_thread() const override;
  boost::asio::io_context& context() { return context_; }
  std::size_t index() const { return index_; }
  // The shard's write batcher for its players; null when media is written as it arrives.
  WriteBatcher* batcher() { return batcher_.get(); }

 private:
  std::size_t index_;
  mutable boost::asio::io_context context_{1};  // one thread per context: Asio may skip its locking
  std::unique_ptr<WriteBatcher> batcher_;       // destroyed before the context it runs on
};

class Shards {
 public:
  // count 0 means one per core.
  explicit Shards(std::size_t count, std::chrono::milliseconds write_interval = {});
  ~Shards();
  Shards(const Shards&) = delete;
  Shards& operator=(const Shards&) = delete;

  std::size_t size() const { return shards_.size(); }
  Shard& at(std::size_t i) { return *shards_[i]; }
  // Round-robin choice for a new connection.
  Shard& next();

  void start();  // one thread per shard
  void stop();   // stops every loop; pending work is dropped
  void join();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace liveorigin::net
