// Stream status, drop and channels across the cluster. Redis holds the cluster's copy (a hash of
// disabled streams, a set of channels); a change made through any node's API is written there and
// announced on a pub/sub channel; every node applies it to its access cache and its store, and
// cuts its local publisher on disable, drop or a deleted channel. After a (re)subscription a node
// reloads the whole copy, so a message missed while it was cut off is not lost.
#pragma once

#include <chrono>
#include <string>

#include "liveorigin/access/access.hpp"
#include "liveorigin/cluster/claims.hpp"
#include "liveorigin/cluster/redis_client.hpp"
#include "liveorigin/config/config_store.hpp"
#include "liveorigin/hub/hub.hpp"
#include "liveorigin/store/database.hpp"

namespace liveorigin::cluster {

class StateSync {
 public:
  // Subscribes on `client`: construct before client.start().
  StateSync(RedisClient& client, std::string node_id, access::Access& access, hub::Hub& hub,
            store::Database& database, config::ConfigStore& config, Keys keys = {});

  // API thread; each waits for Redis at most a moment and throws std::runtime_error when it cannot
  // be reached (the API answers 503 and changes nothing).
  void set_status(const hub::StreamKey& key, bool disabled, const std::string& changed_by);
  // Asks the owner `node` to cut its publisher of `key`.
  void drop(const hub::StreamKey& key, const std::string& node);
  void channel_added(const hub::StreamKey& key);
  void channel_removed(const hub::StreamKey& key);
  // Throws unless Redis is reachable: checked before a change is made locally.
  void require_connected() const;

 private:
  void publish(const std::string& event);
  void on_event(const std::string& message);  // the client's thread
  void reload();                              // the client's thread

  RedisClient& client_;
  const std::string node_id_;
  access::Access& access_;
  hub::Hub& hub_;
  store::Database& database_;
  config::ConfigStore& config_;
  const Keys keys_;
};

}  // namespace liveorigin::cluster
