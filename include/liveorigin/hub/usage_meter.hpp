// Usage for billing, counted in memory: bytes in, bytes out per protocol, the peak output rate and
// player time, per stream, per app and for the server, per minute. The hot paths only add to a
// stream's atomic counters (the publisher per packet, a player per write batch); once a second one
// thread folds them into the current minute, and a finished minute comes out as records for the
// store (api::UsageBook writes them).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "liveorigin/common/usage_record.hpp"
#include "liveorigin/hub/stream.hpp"
#include "liveorigin/hub/stream_stats.hpp"

namespace liveorigin::hub {

// The counters of one APP/STREAM while something uses it: its publication, a player, a recording
// download. Bytes: relaxed atomic adds; player time: a lock per join and leave, never per write.
class StreamUsage {
 public:
  void add_bytes_in(std::uint64_t n) { bytes_in_.fetch_add(n, std::memory_order_relaxed); }
  // protocol: an index of common::kUsageProtocols.
  void add_bytes_out(std::size_t protocol, std::uint64_t n) {
    bytes_out_[protocol].fetch_add(n, std::memory_order_relaxed);
  }
  // A connected player (RTMP, FLV) counts from its join to its leave; now_ms is Unix ms.
  void player_joined(PlayProtocol protocol, std::int64_t now_ms);
  void player_left(PlayProtocol protocol, std::int64_t now_ms);
  // Play time measured by its output (HLS: the time between a client's playlist fetches).
  void add_player_ms(PlayProtocol protocol, std::int64_t ms);

  struct Taken {
    std::uint64_t bytes_in = 0;
    std::array<std::uint64_t, common::kUsageProtocols.size()> bytes_out{};
    std::array<std::int64_t, common::kPlayerTimeProtocols> player_ms{};
  };
  // What was counted since the last take, player time up to now_ms. One thread (the meter's tick).
  Taken take(std::int64_t now_ms);
  bool has_players() const;

 private:
  std::atomic<std::uint64_t> bytes_in_{0};
  std::array<std::atomic<std::uint64_t>, common::kUsageProtocols.size()> bytes_out_{};
  mutable std::mutex players_mutex_;
  // Player time since the last take is player_ms_ + active_ * now: a join subtracts its time, a
  // leave adds its time, a take restarts the sum at now for those still connected.
  std::array<int, common::kPlayerTimeProtocols> active_{};
  std::array<std::int64_t, common::kPlayerTimeProtocols> player_ms_{};
};

// Unix milliseconds of the system clock (usage minutes are wall-clock minutes).
std::int64_t unix_ms();

class UsageMeter {
 public:
  // The counters of a stream, made on first use; kept while anything holds them or they hold
  // counts of the current minute. Takes a lock: at a publish or a request, never per packet.
  std::shared_ptr<StreamUsage> stream(const StreamKey& key);

  // About once a second, from one thread: folds the counters into the current minute. Returns
  // the records of the minute that ended (stream, app and server records), else nothing.
  std::vector<common::UsageRecord> tick(std::int64_t now_ms);
  // The server stops: the records of the current, partial minute, counted up to now.
  std::vector<common::UsageRecord> finish(std::int64_t now_ms);
  // The current minute as counted at the last tick.
  std::vector<common::UsageRecord> current() const;

  struct Totals {
    std::uint64_t bytes_in = 0;
    std::array<std::uint64_t, common::kUsageProtocols.size()> bytes_out{};
  };
  // Bytes per app since the server started, as of the last tick (/metrics).
  std::map<std::string, Totals> app_totals() const;

 private:
  struct Entry {
    std::shared_ptr<StreamUsage> usage;
    common::UsageRecord minute;
  };
  void collect(std::int64_t now_ms);             // under mutex_
  std::vector<common::UsageRecord> roll();        // under mutex_
  std::vector<common::UsageRecord> records() const;  // under mutex_

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Entry> streams_;
  std::map<std::string, common::UsageRecord> apps_;  // the current minute per app
  common::UsageRecord server_;
  std::map<std::string, Totals> totals_;
  std::int64_t minute_ = -1;  // Unix seconds: the current minute's start; -1 before the first tick
  std::int64_t last_ms_ = 0;  // the last fold
};

}  // namespace liveorigin::hub
