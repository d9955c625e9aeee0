// The cluster's stream registry: one publisher per APP/STREAM across every node sharing a Redis.
// A claim is a Redis key with a TTL of `lease`, set atomically with a fencing epoch by a Lua
// script; its owner renews it every lease/3 (publishing its last-media time, for the stale rule
// on other nodes) and a node that dies loses its claims within `lease`. Redis unreachable: live
// streams go on, new claims are refused, and the node takes its claims again on reconnect.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "liveorigin/cluster/claims.hpp"
#include "liveorigin/cluster/redis_client.hpp"
#include "liveorigin/hub/registry.hpp"

namespace liveorigin::cluster {

struct NodeInfo {
  std::string id;
  std::string rtmp, http;  // advertised addresses
};

class RedisRegistry final : public hub::StreamRegistry {
 public:
  // Registers its renew tick and reconnect handler on `client`: construct before client.start().
  RedisRegistry(RedisClient& client, NodeInfo node, std::chrono::milliseconds lease, Keys keys = {});

  void claim(hub::ClaimRequest request, std::function<void(hub::ClaimResult)> done) override;
  void renew(const hub::StreamKey& key, std::uint64_t epoch, std::function<void(bool)> done) override;
  void release(const hub::StreamKey& key, std::uint64_t epoch) override;
  std::size_t size() const override;  // names held by this node (max_streams stays per node)

  // Every live claim of the cluster (API thread: waits for Redis at most `timeout`); nullopt when
  // Redis cannot be asked.
  std::optional<std::vector<ClaimValue>> cluster_claims(std::chrono::milliseconds timeout);
  const NodeInfo& node() const { return node_; }
  const Keys& keys() const { return keys_; }

 private:
  struct Hold {
    std::uint64_t granted_epoch;  // the epoch the hub knows this hold by
    std::uint64_t epoch;          // the epoch in Redis now (a new one after re-taking a lapsed claim)
    hub::PublisherInfo publisher;
    std::function<hub::RegistryClock::time_point()> last_media;
    std::function<void(const std::string&)> on_lost;
    hub::RegistryClock::time_point renewed;
    bool reported_silent = false;  // the last renew already said it was silent past stale_publisher
    bool lost = false;
    double stale_seconds = 0;
  };

  ClaimValue value_of(const hub::StreamKey& key, const hub::PublisherInfo& publisher) const;
  void on_claim_answer(const hub::StreamKey& key, hub::ClaimRequest& request, double stale_seconds,
                       const RedisReply& reply, const std::function<void(hub::ClaimResult)>& done);
  void tick(bool all);  // on the client's thread
  void send_renew(const hub::StreamKey& key, const Hold& hold);
  void on_renew_answer(const hub::StreamKey& key, std::uint64_t granted_epoch, const RedisReply& reply);

  RedisClient& client_;
  const NodeInfo node_;
  const std::chrono::milliseconds lease_;
  const Keys keys_;
  hub::RegistryClock::time_point heartbeat_;
  mutable std::mutex mutex_;  // taken on claim, renew, release and the tick, never per packet
  std::map<hub::StreamKey, Hold> holds_;
  std::size_t pending_ = 0;  // claims sent and not answered yet (max_streams counts them)
};

}  // namespace liveorigin::cluster
