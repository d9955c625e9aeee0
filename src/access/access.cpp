#include "liveorigin/access/access.hpp"

#include <chrono>
#include <mutex>

#include "liveorigin/access/cluster_pull.hpp"
#include "liveorigin/hub/names.hpp"

namespace liveorigin::access {

using Refusal = Decision::Refusal;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

void Access::load(const std::vector<hub::StreamKey>& disabled, const std::vector<hub::StreamKey>& channels) {
  std::unique_lock lock(mutex_);
  disabled_ = {disabled.begin(), disabled.end()};
  channels_ = {channels.begin(), channels.end()};
}

bool Access::is_disabled(const hub::StreamKey& key) const {
  std::shared_lock lock(mutex_);
  return disabled_.contains(key);
}

void Access::set_disabled(const hub::StreamKey& key, bool disabled) {
  std::unique_lock lock(mutex_);
  if (disabled) {
    disabled_.insert(key);
  } else {
    disabled_.erase(key);
  }
}

bool Access::has_channel(const hub::StreamKey& key) const {
  std::shared_lock lock(mutex_);
  return channels_.contains(key);
}

void Access::add_channel(const hub::StreamKey& key) {
  std::unique_lock lock(mutex_);
  channels_.insert(key);
}

void Access::remove_channel(const hub::StreamKey& key) {
  std::unique_lock lock(mutex_);
  channels_.erase(key);
}

Decision Access::check_publish(const config::AppConfig& app, const std::string& stream,
                               const Query& query, std::int64_t now) const {
  if (!hub::is_valid_name(app.name) || !hub::is_valid_name(stream)) {
    return {Refusal::bad_name, "invalid stream name"};
  }
  if (const auto auth = check_auth(app.push_auth, stream, query, now); auth != AuthResult::ok) {
    return {Refusal::unauthorized, "push auth failed: " + std::string(to_string(auth))};
  }
  const hub::StreamKey key{app.name, stream};
  std::shared_lock lock(mutex_);
  if (disabled_.contains(key)) return {Refusal::disabled, "stream is disabled"};
  if (app.mode == config::AppMode::channel && !channels_.contains(key)) {
    return {Refusal::unknown_channel, "no such channel in this app"};
  }
  return {};
}

PlayAdmission Access::admit_play(const config::Config& config, const PlayAttempt& attempt) const {
  if (!hub::is_valid_name(attempt.app) || !hub::is_valid_name(attempt.stream)) {
    return {{Refusal::bad_name, "invalid app or stream name"}};
  }
  const auto* app = config.find_app(attempt.app);
  if (!app) return {{Refusal::unknown_app, "unknown app '" + std::string(attempt.app) + "'"}};
  if (const auto auth = check_auth(app->play_auth, attempt.stream, attempt.query, attempt.now);
      auth != AuthResult::ok) {
    return {{Refusal::unauthorized, "play auth failed: " + std::string(to_string(auth))}, app};
  }
  if (attempt.delivery == Delivery::flv && !app->flv_enabled) {
    return {{Refusal::delivery_off, "HTTP-FLV is off for app '" + app->name + "'"}, app};
  }
  if (attempt.delivery == Delivery::hls && !app->hls.enabled) {
    return {{Refusal::delivery_off, "HLS is off for app '" + app->name + "'"}, app};
  }
  return {{}, app};
}

std::optional<std::string> Access::admit_pull(const PlayAttempt& attempt) const {
  if (attempt.delivery != Delivery::rtmp || !attempt.query.contains("cluster_sig")) return std::nullopt;
  return check_pull(cluster_secret(), attempt.app, attempt.stream, attempt.query, attempt.now);
}

void Access::set_cluster_secret(std::string secret) {
  std::unique_lock lock(mutex_);
  cluster_secret_ = std::move(secret);
}

std::string Access::cluster_secret() const {
  std::shared_lock lock(mutex_);
  return cluster_secret_;
}

}  // namespace liveorigin::access
