// A hub::Loop for tests: tasks queue up and run when the test says so. Write ticks run at once,
// or, with gather_writes, when the test calls tick() (`phases` ticks per write interval).
#pragma once

#include <deque>
#include <functional>
#include <vector>

#include "liveorigin/hub/loop.hpp"

namespace liveorigin::hub::testing {

class ManualLoop : public Loop {
 public:
  explicit ManualLoop(bool gather_writes = false, std::size_t phases = 1)
      : gather_writes_(gather_writes), phases_(phases) {}
  void post(std::function<void()> task) override { tasks_.push_back(std::move(task)); }
  bool running_in_this_thread() const override { return true; }
  void at_next_write_tick(std::function<void()> flush) override {
    if (gather_writes_) {
      flushes_.push_back(std::move(flush));
    } else {
      flush();
    }
  }
  std::size_t write_phases() const override { return phases_; }
  // Runs queued tasks (and those they post) until none is left.
  void run() {
    while (!tasks_.empty()) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      task();
    }
  }
  // The write tick: runs the flushes asked for since the last one.
  void tick() {
    auto flushes = std::move(flushes_);
    flushes_.clear();
    for (auto& flush : flushes) flush();
  }

 private:
  bool gather_writes_;
  std::size_t phases_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::function<void()>> flushes_;
};

}  // namespace liveorigin::hub::testing
