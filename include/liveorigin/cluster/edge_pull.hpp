// Edge pull: a player on a node that does not have a stream gets it from the stream's owner. The
// node looks the owner up in Redis (the claim holds its advertised RTMP address) and plays the
// stream from it over RTMP — one pull per stream per node, shared by every player here — into the
// local hub as a Publication of a pulled stream (no claim, no callbacks, no recording). The pull
// stops a few seconds after its last player leaves; when the connection drops while players
// remain, it looks the owner up again and reconnects with backoff (the owner may have changed).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "liveorigin/cluster/claims.hpp"
#include "liveorigin/cluster/redis_client.hpp"
#include "liveorigin/net/server_context.hpp"

namespace liveorigin::cluster {

struct EdgeOptions {
  std::string node_id;
  std::chrono::milliseconds linger{5000};        // a pull outlives its last player by this much
  std::chrono::milliseconds ready_wait{8000};    // a player waits this long for a pull to start
  std::chrono::milliseconds reconnect_for{0};    // a dropped pull keeps its players this long
};

class EdgePulls final : public net::EdgeSource {
 public:
  // Registers the secret's load on `redis` (construct before redis.start()).
  EdgePulls(RedisClient& redis, net::ServerContext& server, EdgeOptions options, Keys keys = {});
  ~EdgePulls() override;

  void want(const hub::StreamKey& key, hub::Loop& loop, std::function<void(bool live)> ready) override;
  // Ends every pull (shutdown, on the loops' threads via their streams' stop, or here at exit).
  void clear();

  struct Metrics {
    std::int64_t active = 0;          // pulls running (connecting, reconnecting or live)
    std::uint64_t started = 0;        // pulls begun (one per stream and first player)
    std::uint64_t failed = 0;         // connections to an owner that ended without playing
    std::uint64_t reconnects = 0;     // connections made again for a running pull
    std::int64_t players = 0;         // RTMP and FLV players of pulled streams now
  };
  Metrics metrics() const;
  // The node APP/STREAM is pulled from now; empty when it is not pulled (any thread).
  std::string source_of(const hub::StreamKey& key) const;

  class Pull;  // one stream's pull (edge_pull.cpp)

 private:
  friend class Pull;
  void forget(const hub::StreamKey& key, const Pull* pull);
  void load_secret();

  RedisClient& redis_;
  net::ServerContext& server_;
  const EdgeOptions options_;
  const Keys keys_;
  mutable std::mutex mutex_;  // taken per want() and at a pull's start and end, never per packet
  std::map<hub::StreamKey, std::shared_ptr<Pull>> pulls_;
  std::map<hub::StreamKey, std::string> sources_;  // the owner each pull connects to
  std::size_t next_shard_ = 0;
  std::atomic<std::uint64_t> started_{0}, failed_{0}, reconnects_{0};
};

}  // namespace liveorigin::cluster
