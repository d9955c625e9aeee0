// A hub::Loop for tests: tasks queue up and run when the test says so.
#pragma once

#include <deque>
#include <functional>

#include "liveorigin/hub/loop.hpp"

namespace liveorigin::hub::testing {

class ManualLoop : public Loop {
 public:
  void post(std::function<void()> task) override { tasks_.push_back(std::move(task)); }
  bool running_in_this_thread() const override { return true; }
  // Runs queued tasks (and those they post) until none is left.
  void run() {
    while (!tasks_.empty()) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      task();
    }
  }

 private:
  std::deque<std::function<void()>> tasks_;
};

}  // namespace liveorigin::hub::testing
