#include "server.hpp"

#include <csignal>
#include <filesystem>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"
#include "liveorigin/http/media_http.hpp"
#include "liveorigin/hub/hub.hpp"
#include "liveorigin/net/listener.hpp"
#include "liveorigin/net/rtmp_session.hpp"
#include "liveorigin/net/server_context.hpp"
#include "liveorigin/net/shards.hpp"

namespace liveorigin::app {

namespace asio = boost::asio;

struct Server::Parts {
  Parts(config::Config config, std::string path)
      : config_path(std::move(path)),
        shards(static_cast<std::size_t>(config.server.workers)),
        store(std::move(config)),
        context{hub, store, shards, {}},
        signals(shards.at(0).context()),
        grace(shards.at(0).context()) {}

  std::string config_path;
  hub::Hub hub;
  net::Shards shards;
  net::ConfigStore store;
  net::ServerContext context;
  std::shared_ptr<net::Listener> rtmp;
  std::shared_ptr<net::Listener> http;
  asio::signal_set signals;
  asio::steady_timer grace;
  bool stopping = false;

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

  // A new snapshot for new sessions; live sessions keep theirs. A bad file changes nothing.
  void reload() {
    try {
      auto next = config::load_config_file(config_path);
      const auto current = store.get();
      if (!(next.server.rtmp == current->server.rtmp) || !(next.server.http == current->server.http) ||
          next.server.workers != current->server.workers) {
        spdlog::warn("reload: listen addresses and workers change only on restart");
      }
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
    rtmp->close();
    http->close();
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
  try {
    p.rtmp = std::make_shared<net::Listener>(
        p.context, config->server.rtmp, "rtmp",
        [&context = p.context](asio::ip::tcp::socket socket, net::Shard& shard) {
          net::start_rtmp_session(context, std::move(socket), shard);
        });
    p.http = std::make_shared<net::Listener>(
        p.context, config->server.http, "http",
        [&context = p.context](asio::ip::tcp::socket socket, net::Shard& shard) {
          http::start_media_session(context, std::move(socket), shard);
        });
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  p.signals.add(SIGINT);
  p.signals.add(SIGTERM);
  p.signals.add(SIGHUP);
  p.wait_for_signal();
  p.rtmp->start();
  p.http->start();
  spdlog::info("liveorigin running with {} worker thread(s)", p.shards.size());
  p.shards.start();
  p.shards.join();
  spdlog::info("liveorigin stopped");
  return 0;
}

}  // namespace liveorigin::app
