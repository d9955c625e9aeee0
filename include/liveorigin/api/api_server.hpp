// The management API's HTTP server (api.listen): its own io_context on its own thread — never a
// media shard — because handlers may wait for the store. Beast parsing with header and body limits
// and a request deadline; bearer token on everything but /healthz; answers from the Router.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "liveorigin/api/router.hpp"
#include "liveorigin/config/config.hpp"
#include "liveorigin/config/config_store.hpp"

namespace liveorigin::net {
class CertificateStore;
struct ServerStats;
}

namespace liveorigin::api {

class ApiServer {
 public:
  // Binds now (a taken port is an error at start-up: std::runtime_error with the address).
  // The token and limits are read from `config` per request, so a reload changes them.
  // Requests past limits.api_rate per client address get 429; connections past
  // limits.max_connections / max_connections_per_ip (API connections counted on their own) are
  // closed at accept. Both count in `stats`. With `tls` (it outlives the server) the API speaks
  // TLS only.
  ApiServer(const config::Endpoint& endpoint, const Router& router, config::ConfigStore& config,
            net::ServerStats& stats, net::CertificateStore* tls = nullptr);
  ~ApiServer();  // stops and joins
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Runs `task` on the API thread every `period` (rate sampling for the stats), from start().
  void every(std::chrono::milliseconds period, std::function<void()> task);
  // Runs `task` on the API thread once.
  void post(std::function<void()> task);
  void start();  // starts the thread and accepting
  void stop();   // closes the listener and the open connections, joins the thread
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether `header` is exactly "Bearer <token>": SHA-256 digests compared in constant time, so
// neither the token's length nor a matching prefix shows in the time taken.
bool bearer_matches(std::string_view header, std::string_view token);

}  // namespace liveorigin::api
