// A shard's event loop as the hub sees it: a place to post work. The net module implements it
// over an Asio io_context; tests implement it with a plain queue, so the hub needs no Asio.
#pragma once

#include <cstddef>
#include <functional>

namespace liveorigin::hub {

class Loop {
 public:
  virtual ~Loop() = default;
  // Runs `task` later on this loop's thread; tasks posted from one thread run in posting order.
  virtual void post(std::function<void()> task) = 0;
  // True when called from this loop's own thread.
  virtual bool running_in_this_thread() const = 0;
  // Runs `flush` at this loop's next write tick, so that the packets arriving until then reach
  // each player in one write; a loop that does not gather writes runs it at once.
  virtual void at_next_write_tick(std::function<void()> flush) = 0;
  // How many write ticks make one write interval. A fanout wakes a different 1/phases of its
  // players at each tick: each player still writes once per interval, but a tick's burst of writes
  // (and so the wait of the last player in it) is 1/phases as long.
  virtual std::size_t write_phases() const { return 1; }
};

}  // namespace liveorigin::hub
