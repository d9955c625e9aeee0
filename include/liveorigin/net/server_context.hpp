// What every connection needs from the server: the hub, the current config snapshot, the shards.
// Built once in the composition root and passed by reference; no globals.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "liveorigin/access/access.hpp"
#include "liveorigin/config/config.hpp"
#include "liveorigin/config/config_store.hpp"
#include "liveorigin/hub/hub.hpp"
#include "liveorigin/hub/stream_observer.hpp"

namespace liveorigin::net {

class Shards;

// Why a peer was refused or cut (limits: in the config): /metrics counts each as
// liveorigin_refusals_total{reason="..."} and every refusal also has a log line naming the peer.
enum class Refusal : std::uint8_t {
  max_connections, max_connections_per_ip, handshake_timeout, idle_timeout, max_message_size,
  max_chunk_size, max_chunk_streams, max_streams, max_http_header, api_rate, max_publisher_pending,
  protocol_error, tls_handshake, count_
};
inline constexpr std::array<const char*, static_cast<std::size_t>(Refusal::count_)> kRefusalNames{
    "max_connections", "max_connections_per_ip", "handshake_timeout", "idle_timeout", "max_message_size",
    "max_chunk_size", "max_chunk_streams", "max_streams", "max_http_header", "api_rate",
    "max_publisher_pending", "protocol_error", "tls_handshake"};

// A count per name, shared by every shard: open connections per peer address
// (max_connections_per_ip), pulls served per cluster node.
class PeerConnections {
 public:
  int count(const std::string& ip) const {
    std::lock_guard lock(mutex_);
    const auto it = counts_.find(ip);
    return it == counts_.end() ? 0 : it->second;
  }
  void add(const std::string& ip) {
    std::lock_guard lock(mutex_);
    ++counts_[ip];
  }
  void remove(const std::string& ip) {
    std::lock_guard lock(mutex_);
    if (const auto it = counts_.find(ip); it != counts_.end() && --it->second <= 0) counts_.erase(it);
  }
  std::unordered_map<std::string, int> snapshot() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, int> counts_;
};

struct ServerStats {
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Refusal::count_)> refusals{};
  PeerConnections peers;
  PeerConnections pulls_served;  // streams other cluster nodes pull from this one, by pulling node

  void refuse(Refusal reason) { refusals[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t refused(Refusal reason) const { return refusals[static_cast<std::size_t>(reason)].load(); }
};

// A cluster node's way to the streams other nodes own (cluster::EdgePulls); null on a single node.
class EdgeSource {
 public:
  virtual ~EdgeSource() = default;
  // Any thread: a player here (already admitted) wants APP/STREAM. Starts the pull when another
  // node owns it, or keeps the running one: each call counts as a player present (an HLS player
  // is present while it keeps fetching playlists). `ready`, if set, runs once on `loop`: true when
  // the stream is live in the hub, false when no node has it or the pull failed.
  virtual void want(const hub::StreamKey& key, hub::Loop& loop, std::function<void(bool live)> ready) = 0;
};

struct ServerContext {
  hub::Hub& hub;
  config::ConfigStore& config;
  Shards& shards;
  ServerStats stats;
  access::Access access;  // auth, stream status and channels (cache of the store, kept by the API)
  EdgeSource* edge = nullptr;  // set by the composition root on a cluster node
};

}  // namespace liveorigin::net
