// One io_context per core, each run by one thread ("shard"). A connection lives on one shard for
// its whole life, so its state needs no locks.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "liveorigin/hub/loop.hpp"

namespace liveorigin::net {

// One per shard: the players' media gathers for `interval`, then each player writes once. On this
// kernel a write costs far more than the bytes it carries (docs/performance.md), so N players x
// ~75 packets/s become N players x (1 s / interval) writes, for at most `interval` of added
// latency. Control bytes never wait for it.
class WriteBatcher {
 public:
  // tick: the write interval divided by the phases of the shard's players (Shard::write_phases).
  WriteBatcher(boost::asio::io_context& context, std::chrono::microseconds tick);
  // Runs `flush` at the next tick (a stream's fanout: it wakes its players).
  void defer(std::function<void()> flush);

 private:
  void tick();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds tick_;
  std::vector<std::function<void()>> due_;
  std::vector<std::function<void()>> running_;
  bool armed_ = false;
};

class Shard : public hub::Loop {
 public:
  // write_interval: how long players' media is gathered before one write (0: written at once).
  Shard(std::size_t index, std::chrono::milliseconds write_interval);
  ~Shard() override;
  void post(std::function<void()> task) override;
  bool running_in_this_thread() const override;
  void at_next_write_tick(std::function<void()> flush) override;
  std::size_t write_phases() const override { return batcher_ ? kWritePhases : 1; }
  boost::asio::io_context& context() { return context_; }
  std::size_t index() const { return index_; }

 private:
  // Players of a stream are written in 4 groups, one per quarter of the write interval.
  static constexpr std::size_t kWritePhases = 4;

  std::size_t index_;
  mutable boost::asio::io_context context_{1};  // one thread per context: Asio may skip its locking
  std::unique_ptr<WriteBatcher> batcher_;       // null: media is written as it arrives
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
