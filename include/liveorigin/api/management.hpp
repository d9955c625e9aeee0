// The management endpoints of PRODUCT.md section 7 (streams, status, drop, apps, channels, stats,
// metrics, health), registered on a Router from the composition root. Handlers run on the API
// thread: they may wait for the store, and they read live stats without touching media threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "liveorigin/access/access.hpp"
#include "liveorigin/api/rate_sampler.hpp"
#include "liveorigin/api/router.hpp"
#include "liveorigin/cluster/redis_registry.hpp"
#include "liveorigin/cluster/state_sync.hpp"
#include "liveorigin/config/config_store.hpp"
#include "liveorigin/hub/hub.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/store/database.hpp"

namespace liveorigin::api {

// One extra line of /metrics (gauge), e.g. the notifier's callback queue depth. `value` runs on the
// API thread.
struct Gauge {
  std::string name;  // liveorigin_…
  std::string help;
  std::function<double()> value;
  std::string type = "gauge";  // Prometheus type: "gauge" or "counter"
};

struct Management {
  hub::Hub& hub;
  access::Access& access;
  store::Database& database;
  config::ConfigStore& config;
  net::ServerStats& stats;
  RateSampler rates;  // fed by sample(), once a second on the API thread
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // HLS players of a stream (the HLS library's count); unset = 0.
  std::function<std::size_t(const hub::StreamKey&)> hls_players;
  // A cluster node's pulled streams: the node each is pulled from now (the owner; empty if none).
  std::function<std::string(const hub::StreamKey&)> pulled_from;
  // Extra /metrics gauges from other features (callback queue depth…), added before start.
  std::vector<Gauge> gauges;
  // A cluster node (cluster.redis set): status, drop and channels go through Redis to every node,
  // and the stream list shows the cluster's streams. Both null on a single node.
  cluster::RedisRegistry* cluster_registry = nullptr;
  cluster::StateSync* cluster_sync = nullptr;

  void sample() {
    rates.sample(hub.streams(), stats.bytes_in.load(), stats.bytes_out.load(),
                 std::chrono::steady_clock::now());
  }
};

// Remembers every stream that publishes (store::note_published), so that
// GET /api/v1/streams/APP/STREAM knows it while it is offline, across restarts too.
class PublishHistory : public hub::StreamObserver {
 public:
  explicit PublishHistory(store::Database& database) : database_(database) {}
  void on_publish(const hub::PublishStart& start) override;

 private:
  store::Database& database_;
};

// Loads stream statuses and channels from the store into the access cache (start-up).
void load_access(store::Database& database, access::Access& access);

void add_stream_routes(Router& router, Management& m);   // /api/v1/streams…
void add_channel_routes(Router& router, Management& m);  // /api/v1/apps/APP/channels…
void add_app_routes(Router& router, Management& m);      // /api/v1/apps
void add_stats_routes(Router& router, Management& m);    // /healthz, /api/v1/stats, /metrics

// A stream as the list and the detail show it (PRODUCT.md section 7); `live` may be null.
nlohmann::json stream_json(const Management& m, const hub::StreamKey& key, const hub::Stream* live);

}  // namespace liveorigin::api
