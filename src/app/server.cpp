#include "server.hpp"

#include <cmath>
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "liveorigin/api/api_server.hpp"
#include "liveorigin/api/callback_routes.hpp"
#include "liveorigin/api/management.hpp"
#include "liveorigin/api/router.hpp"
#include "liveorigin/api/usage_routes.hpp"
#include "liveorigin/cluster/edge_pull.hpp"
#include "liveorigin/cluster/redis_client.hpp"
#include "liveorigin/cluster/redis_registry.hpp"
#include "liveorigin/cluster/state_sync.hpp"
#include "liveorigin/common/log.hpp"
#include "liveorigin/http/media_http.hpp"
#include "liveorigin/hub/hub.hpp"
#include "liveorigin/net/certificate_store.hpp"
#include "liveorigin/net/listener.hpp"
#include "liveorigin/net/rtmp_session.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"
#include "liveorigin/net/transport.hpp"
#include "liveorigin/notify/notifier.hpp"
#include "liveorigin/record/retention.hpp"
#include "liveorigin/store/database.hpp"
#include "hls_observer.hpp"
#include "record_observer.hpp"

namespace liveorigin::app {

namespace asio = boost::asio;

namespace {

// A cluster node talks to Redis; a single node needs none.
std::unique_ptr<cluster::RedisClient> make_redis(const config::Config& config) {
  if (!config.cluster.enabled()) return nullptr;
  return std::make_unique<cluster::RedisClient>(config.cluster.redis_address);
}

std::unique_ptr<hub::StreamRegistry> make_registry(const config::Config& config, cluster::RedisClient* redis) {
  if (!redis) return std::make_unique<hub::LocalRegistry>();
  const auto& c = config.cluster;
  return std::make_unique<cluster::RedisRegistry>(*redis, cluster::NodeInfo{c.node_id, c.advertise_rtmp, c.advertise_http},
                                                  std::chrono::milliseconds(std::llround(c.lease * 1000)));
}

}  // namespace

struct Server::Parts {
  Parts(config::Config config, std::string path)
      : config_path(std::move(path)),
        redis(make_redis(config)),
        registry(make_registry(config, redis.get())),
        hub(*registry),
        store(std::move(config)),
        context{hub, store, shards, {}, {}},  // `shards` is only bound here, used once built
        shards(static_cast<std::size_t>(store.get()->server.workers),
               std::chrono::milliseconds(std::llround(store.get()->server.write_interval * 1000))),
        signals(shards.at(0).context()),
        grace(shards.at(0).context()) {}

  std::string config_path;
  // The Redis client runs until run() stops it, after the loops; the registry outlives every
  // publication (they release their names as the sessions go).
  std::unique_ptr<cluster::RedisClient> redis;
  std::unique_ptr<hub::StreamRegistry> registry;
  hub::Hub hub;
  config::ConfigStore store;
  net::ServerContext context;
  // The http listener's routes: before the shards, so they outlive every session.
  std::unique_ptr<http::Routes> media_routes;
  // After the context: sessions still waiting in a shard's queue at exit are destroyed with the
  // shards, and give their place back to context.stats as they go.
  net::Shards shards;
  HlsObserver hls;  // HLS outputs per publish; its library answers the media HTTP routes
  // server.tls, when configured: before the listeners that use it.
  std::unique_ptr<net::CertificateStore> certificates;
  std::shared_ptr<net::Listener> rtmp;
  std::shared_ptr<net::Listener> http;
  std::shared_ptr<net::Listener> rtmps;  // null unless server.rtmps.listen is set
  std::shared_ptr<net::Listener> https;  // null unless server.https.listen is set
  asio::signal_set signals;
  asio::steady_timer grace;
  bool stopping = false;
  // Durable state and the management API (built in run(), once data_dir exists). Declared last:
  // the API thread stops before anything it uses goes away.
  std::unique_ptr<store::Database> database;
  // Callbacks: after the database (it drains its store jobs first), before the router and the
  // recorder that use it.
  std::unique_ptr<notify::Notifier> notifier;
  api::Router router;
  std::unique_ptr<api::Management> management;
  std::unique_ptr<api::PublishHistory> publish_history;
  std::unique_ptr<api::UsageBook> usage;  // its store jobs hold their own state: the database may outlive it
  std::unique_ptr<api::ApiServer> api;
  // Recording (after the database: run() drains it before the store closes).
  std::unique_ptr<RecordObserver> recording;
  // Cluster-wide status, drop and channels (after the database it writes to).
  std::unique_ptr<cluster::StateSync> cluster_sync;
  // Edge pulls of streams other nodes own: after the shards, so that every pull (its socket is on
  // a shard's loop) is gone before the loops are.
  std::unique_ptr<cluster::EdgePulls> edge;

  // Opens DATA/liveorigin.db, loads the access cache, registers the management routes and binds
  // api.listen. Other features add their routes to `router` before api->start().
  void build_management(const config::Config& config) {
    database = std::make_unique<store::Database>(
        (std::filesystem::path(config.server.data_dir) / "liveorigin.db").string());
    api::load_access(*database, context.access);
    management = std::make_unique<api::Management>(hub, context.access, *database, store, context.stats);
    management->hls_players = [library = &hls.library()](const hub::StreamKey& key) { return library->players(key); };
    if (redis) {
      cluster_sync = std::make_unique<cluster::StateSync>(*redis, config.cluster.node_id, context.access, hub,
                                                          *database, store);
      management->cluster_registry = dynamic_cast<cluster::RedisRegistry*>(registry.get());
      management->cluster_sync = cluster_sync.get();
      build_edge(config);
    }
    publish_history = std::make_unique<api::PublishHistory>(*database);
    context.hub.add_observer(publish_history.get());
    api::add_stats_routes(router, *management);
    api::add_stream_routes(router, *management);
    api::add_channel_routes(router, *management);
    api::add_app_routes(router, *management);
    usage = std::make_unique<api::UsageBook>(hub.usage(), *database);
    api::add_usage_routes(router, *usage);
    api = std::make_unique<api::ApiServer>(config.server.api, router, store, context.stats,
                                           config.server.api_tls ? certificates.get() : nullptr);
    api->every(std::chrono::seconds(1), [m = management.get(), u = usage.get()] {
      m->sample();
      u->tick();
    });
  }

  // Players here get the streams other nodes own, pulled over RTMP from the owner (docs/cluster.md).
  void build_edge(const config::Config& config) {
    cluster::EdgeOptions options;
    options.node_id = config.cluster.node_id;
    // A dropped pull bridges a short cut (or an owner already replaced) for this long; past it the
    // players get the end of the stream and reconnect, as they do when the owner itself is gone.
    options.reconnect_for = std::chrono::seconds(5);
    edge = std::make_unique<cluster::EdgePulls>(*redis, context, options);
    context.edge = edge.get();
    auto* e = edge.get();
    management->pulled_from = [e](const hub::StreamKey& key) { return e->source_of(key); };
    management->gauges.push_back({"liveorigin_cluster_pulls", "Edge pulls running on this node (streams pulled from their owner).",
                                  [e] { return double(e->metrics().active); }});
    management->gauges.push_back({"liveorigin_cluster_pull_starts_total", "Edge pulls begun (first player of a stream owned elsewhere).",
                                  [e] { return double(e->metrics().started); }, "counter"});
    management->gauges.push_back({"liveorigin_cluster_pull_failures_total", "Connections to an owner that ended before playing.",
                                  [e] { return double(e->metrics().failed); }, "counter"});
    management->gauges.push_back({"liveorigin_cluster_pull_reconnects_total", "Pulls resumed after their connection dropped.",
                                  [e] { return double(e->metrics().reconnects); }, "counter"});
    management->gauges.push_back({"liveorigin_cluster_pull_players", "RTMP and HTTP-FLV players of pulled streams.",
                                  [e] { return double(e->metrics().players); }});
  }

  // Callbacks: each event is written to the outbox, then delivered by the notifier's own thread;
  // whatever a previous run left pending resumes now.
  void build_notifier() {
    notifier = std::make_unique<notify::Notifier>(*database, store);
    context.hub.add_observer(notifier.get());
    api::add_callback_routes(router, *notifier);
    auto* n = notifier.get();
    management->gauges.push_back({"liveorigin_callbacks_delivered_total", "Callbacks delivered (2xx and code 0).",
                                  [n] { return double(n->metrics().delivered); }, "counter"});
    management->gauges.push_back({"liveorigin_callbacks_retried_total", "Failed callback attempts scheduled again.",
                                  [n] { return double(n->metrics().retried); }, "counter"});
    management->gauges.push_back({"liveorigin_callbacks_failed_total", "Callbacks that ran out of attempts.",
                                  [n] { return double(n->metrics().failed); }, "counter"});
    management->gauges.push_back({"liveorigin_callbacks_queue_depth", "Callbacks pending in the outbox.",
                                  [n] { return double(n->metrics().queue_depth); }});
    notifier->start();
  }

  // The recorder: .part files left by a crash land first; each landed file becomes a recordings
  // row (and a record callback).
  void build_recording(const config::Config& config) {
    recording = std::make_unique<RecordObserver>(
        config.server.data_dir, [this](const record::LandedRecording& r) {
          database->post([r](store::Connection& c) { record::insert_recording(c, r, std::time(nullptr)); });
          apply_retention();  // a size cap counts the new file at once
          notifier->record({r.app, r.stream, r.file_path, signed_vod_url(*store.get(), r.app, r.stream, r.vod_path),
                            std::string(record::extension(r.format)), static_cast<std::int64_t>(r.file_size),
                            r.start_time, r.end_time, r.duration, r.client_ip, r.recovered});
        });
    context.hub.add_observer(recording.get());
    api::add_recording_routes(router, *database,
                              [this](const std::string& app, const std::string& stream, std::string_view path) {
                                return signed_vod_url(*store.get(), app, stream, path);
                              });
    recording->recorder().recover();
    apply_retention();
    api->every(std::chrono::minutes(1), [this] { apply_retention(); });
  }

  // record.retention and record.max_total_size of the running config, on the store thread.
  void apply_retention() {
    auto policies = record::retention_policies(*store.get());
    if (policies.empty()) return;
    database->post([root = recording->recorder().vod_root(), policies = std::move(policies)](store::Connection& c) {
      record::apply_retention(c, root, policies, std::time(nullptr));
    });
  }

  void wait_for_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        reload();
        wait_for_signal();
      } else {
        shutdown(signal);
      }
    });
  }

  // Listeners, threads and the data directory are set up once: a reload keeps their running
  // values (so, e.g., recordings and the files served from data_dir stay in one place) and says so.
  static void keep_restart_only_keys(config::Config& next, const config::Config& current) {
    std::vector<std::string> kept;
    auto keep = [&kept](auto& value, const auto& running, const char* name) {
      if (value == running) return;
      value = running;
      kept.emplace_back(name);
    };
    keep(next.server.rtmp, current.server.rtmp, "server.rtmp");
    keep(next.server.http, current.server.http, "server.http");
    keep(next.server.api, current.server.api, "server.api.listen");
    keep(next.server.rtmps, current.server.rtmps, "server.rtmps");
    keep(next.server.https, current.server.https, "server.https");
    keep(next.server.api_tls, current.server.api_tls, "server.api.tls");
    keep(next.server.tls.ktls, current.server.tls.ktls, "server.tls.ktls");
    keep(next.server.data_dir, current.server.data_dir, "server.data_dir");
    keep(next.server.workers, current.server.workers, "server.workers");
    keep(next.server.write_interval, current.server.write_interval, "server.write_interval");
    keep(next.cluster, current.cluster, "cluster");
    if (!kept.empty()) spdlog::warn("reload: {} change only on restart; kept as running", fmt::join(kept, ", "));
  }

  // The certificate files again (certbot renews them in place): new connections get them; a file
  // that does not load keeps the running certificates. The TLS settings in force stay those of the
  // certificates served.
  void reload_certificates(config::Config& next) {
    if (!certificates) return;  // no TLS port: nothing to serve them on until a restart
    if (!next.server.tls.configured()) {
      spdlog::warn("reload: server.tls is gone but TLS ports are open (restart to close them); keeping the certificates");
      next.server.tls = store.get()->server.tls;
      return;
    }
    if (auto error = certificates->reload(next.server.tls); !error.empty()) {
      spdlog::error("reload: TLS certificates refused, keeping the running ones: {}", error);
      next.server.tls = store.get()->server.tls;
      return;
    }
    spdlog::info("reload: TLS certificates loaded for new connections");
  }

  // A new snapshot for new sessions; live sessions keep theirs. A bad file changes nothing.
  void reload() {
    try {
      auto next = config::load_config_file(config_path);
      keep_restart_only_keys(next, *store.get());
      reload_certificates(next);
      if (!setup_logging(next.log_level)) spdlog::warn("reload: unknown log level '{}'", next.log_level);
      store.set(std::move(next));
      spdlog::info("reload: {} applied to new sessions", config_path);
    } catch (const std::exception& e) {
      spdlog::error("reload refused, keeping the running config: {}", e.what());
    }
  }

  // Stops accepting, ends every stream (players get the end of stream, publishers are closed),
  // gives the last bytes a moment to leave, then stops the loops.
  void shutdown(int signal) {
    if (stopping) return;
    stopping = true;
    spdlog::info("signal {}: shutting down", signal);
    for (auto* listener : {&rtmp, &http, &rtmps, &https})
      if (*listener) (*listener)->close();
    for (const auto& stream : hub.streams()) stream->stop("shutdown");
    grace.expires_after(std::chrono::milliseconds(500));
    grace.async_wait([this](const boost::system::error_code&) { shards.stop(); });
  }
};

Server::Server(config::Config config, std::string config_path)
    : parts_(std::make_unique<Parts>(std::move(config), std::move(config_path))) {}

Server::~Server() = default;

int Server::run() {
  auto& p = *parts_;
  const auto config = p.store.get();
  std::error_code ec;
  std::filesystem::create_directories(config->server.data_dir, ec);
  if (ec) {
    spdlog::error("cannot create data_dir '{}': {}", config->server.data_dir, ec.message());
    return 1;
  }
  p.context.hub.add_observer(&p.hls);
  try {
    if (config->server.tls.configured()) p.certificates = std::make_unique<net::CertificateStore>(config->server.tls);
    p.build_management(*config);
    p.build_notifier();
    p.build_recording(*config);
    const auto rtmp_handler = [&context = p.context](std::shared_ptr<net::Transport> transport, net::Shard& shard,
                                                     net::ConnectionCount place) {
      net::start_rtmp_session(context, std::move(transport), shard, std::move(place));
    };
    p.rtmp = std::make_shared<net::Listener>(p.context, config->server.rtmp, "rtmp", rtmp_handler);
    if (config->server.rtmps)
      p.rtmps = std::make_shared<net::Listener>(p.context, *config->server.rtmps, "rtmps", rtmp_handler,
                                                p.certificates.get());
    p.media_routes = http::media_routes(p.context, http::MediaServices{&p.hls.library()});
    const auto http_handler = [&context = p.context, &routes = *p.media_routes](
                                  std::shared_ptr<net::Transport> transport, net::Shard& shard,
                                  net::ConnectionCount place) {
      http::start_session(std::move(transport), std::move(place), context.config, context.stats, routes, &shard);
    };
    p.http = std::make_shared<net::Listener>(p.context, config->server.http, "http", http_handler);
    if (config->server.https)
      p.https = std::make_shared<net::Listener>(p.context, *config->server.https, "https", http_handler,
                                                p.certificates.get());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  p.signals.add(SIGINT);
  p.signals.add(SIGTERM);
  p.signals.add(SIGHUP);
  p.wait_for_signal();
  if (p.redis) {
    // Publishes are refused until Redis answers; the client connects (and reconnects) by itself.
    spdlog::info("cluster: node '{}' (rtmp {}, http {}) on Redis {}, lease {} s", config->cluster.node_id,
                 config->cluster.advertise_rtmp, config->cluster.advertise_http, p.redis->address(),
                 config->cluster.lease);
    p.redis->start();
  }
  for (auto* listener : {&p.rtmp, &p.http, &p.rtmps, &p.https})
    if (*listener) (*listener)->start();
  p.api->start();
  spdlog::info("liveorigin running with {} worker thread(s)", p.shards.size());
  p.shards.start();
  p.shards.join();
  if (p.edge) p.edge->clear();  // the pulls' sockets close while their loops still exist
  if (p.redis) p.redis->stop();  // before what its thread uses (hub, access, store) goes away
  p.recording->recorder().drain();  // every recording lands before the process exits
  p.api->stop();
  p.usage->finish();  // the partial minute is stored too
  spdlog::info("liveorigin stopped");
  return 0;
}

}  // namespace liveorigin::app
