#include "liveorigin/api/management.hpp"

namespace liveorigin::api {

using nlohmann::json;

namespace {

// What an operator may see of an app: whether auth is on, never its keys; nor the notify target
// (its key) or the HLS directory.
json app_json(const config::AppConfig& app) {
  return {{"name", app.name},
          {"mode", config::to_string(app.mode)},
          {"max_channels", app.max_channels},
          {"push_auth", app.push_auth.enabled()},
          {"play_auth", app.play_auth.enabled()},
          {"outputs",
           {{"gop_cache", app.gop_cache},
            {"flv", app.flv_enabled},
            {"hls", {{"enabled", app.hls.enabled}, {"fragment", app.hls.fragment}, {"window", app.hls.window}}},
            {"record", {{"enabled", app.record.enabled}, {"format", app.record.format}}}}},
          {"player_page", app.player_page}};
}

}  // namespace

void add_app_routes(Router& router, Management& m) {
  router.add("GET", "/api/v1/apps", [&m](const Request&, const Params&) {
    const auto snapshot = m.config.get();  // the config as of now: a reload may add or remove apps
    json list = json::array();
    for (const auto& [name, app] : snapshot->apps) list.push_back(app_json(app));  // a map: by name
    Response r;
    r.data = std::move(list);
    return r;
  });
}

}  // namespace liveorigin::api
