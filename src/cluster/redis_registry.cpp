#include "liveorigin/cluster/redis_registry.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"

namespace liveorigin::cluster {

using Clock = hub::RegistryClock;
using Outcome = hub::ClaimResult::Outcome;

namespace {

// Redis' clock (TIME) for every time kept in a claim, so that nodes' clocks need not agree.
constexpr const char* kNow = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
)";

// KEYS: claim, epoch counter, set of claimed names. ARGV: APP/STREAM, claim JSON, lease ms, stale
// ms (0: no takeover), the epoch of a local holder that may be replaced (0: none).
// A live holder is replaced only if its own last renew said it had sent no media for `stale` ms.
const std::string kClaimScript = std::string(kNow) + R"(
local current = redis.call('GET', KEYS[1])
local replaced = ''
if current then
  local holder = cjson.decode(current)
  local stale = tonumber(ARGV[4])
  local silent = (tonumber(holder.renewed_ms) or 0) - (tonumber(holder.last_media_ms) or 0)
  if tonumber(holder.epoch) == tonumber(ARGV[5]) or (stale > 0 and silent >= stale) then
    replaced = current
  else
    return {'busy', tonumber(holder.epoch) or 0, current}
  end
end
local epoch = redis.call('INCR', KEYS[2])
local value = cjson.decode(ARGV[2])
value.epoch = epoch
value.claimed_ms = now
value.renewed_ms = now
value.last_media_ms = now
redis.call('SET', KEYS[1], cjson.encode(value), 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return {'granted', epoch, replaced}
)";

// KEYS: claim, epoch counter, set of claimed names. ARGV: APP/STREAM, epoch, lease ms, ms since
// the last media, claim JSON (to take a lapsed claim again: Redis was unreachable longer than the
// lease, or lost its data).
const std::string kRenewScript = std::string(kNow) + R"(
local current = redis.call('GET', KEYS[1])
if current then
  local holder = cjson.decode(current)
  if tonumber(holder.epoch) ~= tonumber(ARGV[2]) then
    return {'lost', tonumber(holder.epoch) or 0, current}
  end
  holder.renewed_ms = now
  holder.last_media_ms = now - tonumber(ARGV[4])
  redis.call('SET', KEYS[1], cjson.encode(holder), 'PX', ARGV[3])
  return {'held', tonumber(holder.epoch), ''}
end
local epoch = redis.call('INCR', KEYS[2])
if epoch <= tonumber(ARGV[2]) then
  epoch = tonumber(ARGV[2]) + 1
  redis.call('SET', KEYS[2], epoch)
end
local value = cjson.decode(ARGV[5])
value.epoch = epoch
value.claimed_ms = now
value.renewed_ms = now
value.last_media_ms = now - tonumber(ARGV[4])
redis.call('SET', KEYS[1], cjson.encode(value), 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return {'retaken', epoch, ''}
)";

// KEYS: claim, set of claimed names. ARGV: APP/STREAM, epoch. Compare and delete.
const std::string kReleaseScript = R"(
local current = redis.call('GET', KEYS[1])
if current and tonumber(cjson.decode(current).epoch) == tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[1])
  return 1
end
return 0
)";

// KEYS: set of claimed names. ARGV: claim key prefix. The live claims; names whose claim expired
// leave the set.
const std::string kListScript = R"(
local out = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local value = redis.call('GET', ARGV[1] .. name)
  if value then table.insert(out, value) else redis.call('SREM', KEYS[1], name) end
end
return out
)";

std::int64_t ms(Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

}  // namespace

RedisRegistry::RedisRegistry(RedisClient& client, NodeInfo node, std::chrono::milliseconds lease, Keys keys)
    : client_(client), node_(std::move(node)), lease_(lease), keys_(std::move(keys)) {
  // Once a second (or every lease/3 if shorter): renews that are due (every lease/3, or at once
  // when a publisher has just gone silent past stale_publisher, so that other nodes may take it
  // over) and the heartbeat.
  client_.every(std::min<std::chrono::milliseconds>(std::chrono::seconds(1), lease_ / 3), [this] { tick(false); });
  client_.on_connected([this] {
    spdlog::info("cluster: node '{}' connected to Redis {}; renewing {} claim(s)", node_.id, client_.address(), size());
    tick(true);
  });
}

ClaimValue RedisRegistry::value_of(const hub::StreamKey& key, const hub::PublisherInfo& publisher) const {
  ClaimValue v;
  v.node = node_.id;
  v.app = key.app;
  v.stream = key.name;
  v.ip = publisher.ip;
  v.protocol = publisher.protocol;
  v.started_at = publisher.started_at;
  v.rtmp = node_.rtmp;
  v.http = node_.http;
  return v;
}

void RedisRegistry::claim(hub::ClaimRequest request, std::function<void(hub::ClaimResult)> done) {
  const auto key = request.key;
  const auto now = Clock::now();
  const double stale_seconds =
      request.stale_before == Clock::time_point::min() ? 0 : std::chrono::duration<double>(now - request.stale_before).count();
  std::uint64_t replace_local = 0;
  hub::ClaimResult refused;
  bool send = false;
  {
    std::lock_guard lock(mutex_);
    if (!client_.connected()) {
      refused.outcome = Outcome::unavailable;
    } else if (const auto it = holds_.find(key); it != holds_.end()) {
      // Held here: the stale rule is decided locally, and Redis replaces exactly that epoch.
      if (it->second.last_media && it->second.last_media() < request.stale_before) {
        replace_local = it->second.epoch;
        send = true;
      }
    } else if (request.max_streams > 0 && holds_.size() + pending_ >= request.max_streams) {
      refused.outcome = Outcome::max_streams;
      refused.held = holds_.size() + pending_;
    } else {
      send = true;
    }
    if (send) ++pending_;
  }
  if (!send) {
    if (refused.outcome == Outcome::unavailable) {
      spdlog::warn("cluster: publish of {} refused: Redis {} is unreachable (no owner can be decided)",
                   log_text(key.str()), client_.address());
    }
    done(refused);
    return;
  }
  const auto stale_ms = static_cast<std::int64_t>(stale_seconds * 1000);
  // Encoded before `request` moves into the continuation (argument order is unspecified).
  auto value = encode_claim(value_of(key, request.publisher));
  client_.script(kClaimScript, {keys_.claim(key), keys_.epoch(key), keys_.claimed()},
                 {key.str(), std::move(value), std::to_string(lease_.count()), std::to_string(stale_ms),
                  std::to_string(replace_local)},
                 [this, key, request = std::move(request), stale_seconds, done = std::move(done)](RedisReply reply) mutable {
                   on_claim_answer(key, request, stale_seconds, reply, done);
                 });
}

void RedisRegistry::on_claim_answer(const hub::StreamKey& key, hub::ClaimRequest& request, double stale_seconds,
                                    const RedisReply& reply, const std::function<void(hub::ClaimResult)>& done) {
  hub::ClaimResult result;
  try {
    result = to_claim_result(parse_script_answer(reply));
  } catch (const std::exception& e) {
    spdlog::warn("cluster: publish of {} refused: Redis {}: {}", log_text(key.str()), client_.address(), e.what());
    result.outcome = Outcome::unavailable;
  }
  {
    std::lock_guard lock(mutex_);
    --pending_;
    if (result.granted()) {
      holds_[key] = Hold{result.epoch, result.epoch, request.publisher, std::move(request.last_media),
                         std::move(request.on_lost), Clock::now(), false, false, stale_seconds};
    }
  }
  done(std::move(result));
}

void RedisRegistry::renew(const hub::StreamKey& key, std::uint64_t epoch, std::function<void(bool)> done) {
  std::lock_guard lock(mutex_);
  const auto it = holds_.find(key);
  done(it != holds_.end() && it->second.granted_epoch == epoch && !it->second.lost);
}

void RedisRegistry::release(const hub::StreamKey& key, std::uint64_t epoch) {
  std::uint64_t current = 0;
  {
    std::lock_guard lock(mutex_);
    const auto it = holds_.find(key);
    if (it == holds_.end() || it->second.granted_epoch != epoch) return;
    if (!it->second.lost) current = it->second.epoch;
    holds_.erase(it);
  }
  // Unreachable Redis: the claim lapses within the lease instead.
  if (current == 0 || !client_.connected()) return;
  client_.script(kReleaseScript, {keys_.claim(key), keys_.claimed()}, {key.str(), std::to_string(current)},
                 [key](const RedisReply& reply) {
                   if (reply.is_error()) spdlog::warn("cluster: release of {}: {}", log_text(key.str()), reply.text);
                 });
}

std::size_t RedisRegistry::size() const {
  std::lock_guard lock(mutex_);
  return holds_.size();
}

void RedisRegistry::tick(bool all) {
  if (!client_.connected()) return;
  const auto now = Clock::now();
  // lease/3, less the timer's jitter, so that a renew due at this tick is not put off to the next.
  const auto period = lease_ / 3 - std::chrono::milliseconds(50);
  if (all || now - heartbeat_ >= period) {
    heartbeat_ = now;
    client_.command({"SET", keys_.node(node_.id),
                     nlohmann::json{{"node", node_.id}, {"rtmp", node_.rtmp}, {"http", node_.http}}.dump(), "PX",
                     std::to_string(lease_.count())},
                    [](const RedisReply&) {});
  }
  std::lock_guard lock(mutex_);
  for (auto& [key, hold] : holds_) {
    if (hold.lost) continue;
    const bool silent = hold.stale_seconds > 0 && hold.last_media &&
                        now - hold.last_media() >= std::chrono::duration<double>(hold.stale_seconds);
    if (all || now - hold.renewed >= period || (silent && !hold.reported_silent)) {
      hold.renewed = now;
      hold.reported_silent = silent;
      send_renew(key, hold);
    }
  }
}

void RedisRegistry::send_renew(const hub::StreamKey& key, const Hold& hold) {
  const auto age = hold.last_media ? std::max<std::int64_t>(0, ms(Clock::now() - hold.last_media())) : 0;
  client_.script(kRenewScript, {keys_.claim(key), keys_.epoch(key), keys_.claimed()},
                 {key.str(), std::to_string(hold.epoch), std::to_string(lease_.count()), std::to_string(age),
                  encode_claim(value_of(key, hold.publisher))},
                 [this, key, granted = hold.granted_epoch](const RedisReply& reply) {
                   on_renew_answer(key, granted, reply);
                 });
}

void RedisRegistry::on_renew_answer(const hub::StreamKey& key, std::uint64_t granted_epoch, const RedisReply& reply) {
  ScriptAnswer answer;
  try {
    answer = parse_script_answer(reply);
  } catch (const std::exception& e) {
    // Redis unreachable: the stream goes on; the renew is tried again at reconnect.
    spdlog::debug("cluster: renew of {}: {}", log_text(key.str()), e.what());
    return;
  }
  std::function<void(const std::string&)> on_lost;
  {
    std::lock_guard lock(mutex_);
    const auto it = holds_.find(key);
    if (it == holds_.end() || it->second.granted_epoch != granted_epoch) return;  // released meanwhile
    auto& hold = it->second;
    if (answer.kind == ScriptAnswer::Kind::lost) {
      hold.lost = true;
      on_lost = hold.on_lost;
    } else {
      if (answer.kind == ScriptAnswer::Kind::retaken) {
        spdlog::info("cluster: {} claimed again after its claim lapsed (epoch {})", log_text(key.str()), answer.epoch);
      }
      hold.epoch = answer.epoch;
    }
  }
  if (on_lost) {
    spdlog::warn("cluster: {} was taken over by node '{}' (epoch {}); stopping the local publisher",
                 log_text(key.str()), answer.other ? log_text(answer.other->node) : "?", answer.epoch);
    on_lost("replaced");
  }
}

std::optional<std::vector<ClaimValue>> RedisRegistry::cluster_claims(std::chrono::milliseconds timeout) {
  const auto reply = client_.call_script(kListScript, {keys_.claimed()}, {keys_.claim_prefix()}, timeout);
  if (reply.type != RedisReply::Type::array) return std::nullopt;
  std::vector<ClaimValue> out;
  for (const auto& element : reply.elements) {
    if (auto value = decode_claim(element.text)) out.push_back(std::move(*value));
  }
  return out;
}

}  // namespace liveorigin::cluster
