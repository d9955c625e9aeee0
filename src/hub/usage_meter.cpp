#include "liveorigin/hub/usage_meter.hpp"

#include <chrono>

namespace liveorigin::hub {

namespace {
// A fold over a shorter time than this tells nothing about a rate (writes come in batches).
constexpr std::int64_t kMinRateMs = 500;

std::uint64_t kbps(std::uint64_t bytes, std::int64_t ms) {
  return ms < kMinRateMs ? 0 : bytes * 8 / static_cast<std::uint64_t>(ms);  // bits per ms = kbit/s
}

void add_taken(common::UsageRecord& r, const StreamUsage::Taken& t) {
  r.bytes_in += t.bytes_in;
  for (std::size_t i = 0; i < t.bytes_out.size(); ++i) r.bytes_out[i] += t.bytes_out[i];
  for (std::size_t i = 0; i < t.player_ms.size(); ++i) r.player_seconds[i] += double(t.player_ms[i]) / 1000.0;
}
}  // namespace

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void StreamUsage::player_joined(PlayProtocol protocol, std::int64_t now_ms) {
  const auto p = static_cast<std::size_t>(protocol);
  std::lock_guard lock(players_mutex_);
  ++active_[p];
  player_ms_[p] -= now_ms;
}

void StreamUsage::player_left(PlayProtocol protocol, std::int64_t now_ms) {
  const auto p = static_cast<std::size_t>(protocol);
  std::lock_guard lock(players_mutex_);
  --active_[p];
  player_ms_[p] += now_ms;
}

void StreamUsage::add_player_ms(PlayProtocol protocol, std::int64_t ms) {
  std::lock_guard lock(players_mutex_);
  player_ms_[static_cast<std::size_t>(protocol)] += ms;
}

StreamUsage::Taken StreamUsage::take(std::int64_t now_ms) {
  Taken t;
  t.bytes_in = bytes_in_.exchange(0, std::memory_order_relaxed);
  for (std::size_t i = 0; i < t.bytes_out.size(); ++i) t.bytes_out[i] = bytes_out_[i].exchange(0, std::memory_order_relaxed);
  std::lock_guard lock(players_mutex_);
  for (std::size_t p = 0; p < t.player_ms.size(); ++p) {
    t.player_ms[p] = player_ms_[p] + active_[p] * now_ms;
    player_ms_[p] = -active_[p] * now_ms;
  }
  return t;
}

bool StreamUsage::has_players() const {
  std::lock_guard lock(players_mutex_);
  for (int n : active_) {
    if (n != 0) return true;
  }
  return false;
}

std::shared_ptr<StreamUsage> UsageMeter::stream(const StreamKey& key) {
  std::lock_guard lock(mutex_);
  auto& entry = streams_[{key.app, key.name}];
  if (!entry.usage) {
    entry.usage = std::make_shared<StreamUsage>();
    entry.minute.app = key.app;
    entry.minute.stream = key.name;
  }
  return entry.usage;
}

void UsageMeter::collect(std::int64_t now_ms) {
  const std::int64_t elapsed = now_ms - last_ms_;
  last_ms_ = now_ms;
  std::map<std::string, std::uint64_t> app_out;  // bytes out per app in this fold
  std::uint64_t server_out = 0;
  for (auto& [key, entry] : streams_) {
    const auto taken = entry.usage->take(now_ms);
    std::uint64_t out = 0;
    for (auto b : taken.bytes_out) out += b;
    add_taken(entry.minute, taken);
    entry.minute.peak_kbps_out = std::max(entry.minute.peak_kbps_out, kbps(out, elapsed));
    auto& app = apps_[key.first];
    app.app = key.first;
    add_taken(app, taken);
    add_taken(server_, taken);
    app_out[key.first] += out;
    server_out += out;
    auto& totals = totals_[key.first];
    totals.bytes_in += taken.bytes_in;
    for (std::size_t i = 0; i < totals.bytes_out.size(); ++i) totals.bytes_out[i] += taken.bytes_out[i];
  }
  for (const auto& [name, out] : app_out) {
    apps_[name].peak_kbps_out = std::max(apps_[name].peak_kbps_out, kbps(out, elapsed));
  }
  server_.peak_kbps_out = std::max(server_.peak_kbps_out, kbps(server_out, elapsed));
}

std::vector<common::UsageRecord> UsageMeter::records() const {
  std::vector<common::UsageRecord> out;
  auto add = [&](common::UsageRecord r) {
    if (r.empty()) return;
    r.start = minute_;
    r.seconds = 60;
    out.push_back(std::move(r));
  };
  for (const auto& [key, entry] : streams_) add(entry.minute);
  for (const auto& [name, app] : apps_) add(app);
  add(server_);
  return out;
}

std::vector<common::UsageRecord> UsageMeter::roll() {
  auto out = records();
  for (auto it = streams_.begin(); it != streams_.end();) {
    auto& entry = it->second;
    entry.minute = common::UsageRecord{entry.minute.app, entry.minute.stream};
    // Only the meter holds it and nobody plays: its next use makes a new one.
    if (entry.usage.use_count() == 1 && !entry.usage->has_players()) {
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
  apps_.clear();
  server_ = {};
  return out;
}

std::vector<common::UsageRecord> UsageMeter::tick(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const std::int64_t minute = now_ms / 60000 * 60;
  if (minute_ < 0) {
    minute_ = minute;
    last_ms_ = now_ms;
  }
  // What a tick finds belongs to the minute it counted in: the tick after a minute's end closes it.
  collect(now_ms);
  if (minute == minute_) return {};
  auto out = roll();
  minute_ = minute;
  return out;
}

std::vector<common::UsageRecord> UsageMeter::finish(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (minute_ < 0) {
    minute_ = now_ms / 60000 * 60;
    last_ms_ = now_ms;
  }
  collect(now_ms);
  return roll();
}

std::vector<common::UsageRecord> UsageMeter::current() const {
  std::lock_guard lock(mutex_);
  if (minute_ < 0) return {};
  return records();
}

std::map<std::string, UsageMeter::Totals> UsageMeter::app_totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

}  // namespace liveorigin::hub
