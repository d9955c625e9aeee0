#include <random>

#include <spdlog/spdlog.h>

#include "checks.hpp"
#include "liveorigin/common/log.hpp"
#include "liveorigin/api/management.hpp"
#include "liveorigin/store/channels.hpp"

namespace liveorigin::api {

using nlohmann::json;

namespace {

constexpr std::int64_t kDefaultValidity = 24 * 3600;  // seconds a returned signed URL stays valid

// The host clients should use: the request's Host (without its port), else the listen address
// (a wildcard one becomes 127.0.0.1).
std::string public_host(const Request& request, const config::Endpoint& listen) {
  std::string host = request.host;
  if (!host.empty()) {
    if (host.front() == '[') {
      host = host.substr(0, host.find(']') + 1);
    } else if (const auto colon = host.find(':'); colon != std::string::npos) {
      host.resize(colon);
    }
  }
  if (host.empty()) {
    host = listen.host == "0.0.0.0" || listen.host == "::" ? "127.0.0.1" : listen.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
  }
  return host;
}

std::string with_query(std::string url, const config::AuthKeys& keys, const std::string& stream,
                       std::int64_t expires_at) {
  if (keys.enabled()) url += "?" + access::signed_query(keys.key, stream, expires_at);
  return url;
}

std::int64_t validity(const json& value) {
  if (value.is_null()) return kDefaultValidity;
  if (!value.is_number_integer() || value.get<std::int64_t>() <= 0 ||
      value.get<std::int64_t>() > 10LL * 365 * 24 * 3600) {
    throw ApiError(400, 400, "expires_in must be a positive number of seconds");
  }
  return value.get<std::int64_t>();
}

json channel_json(const config::Config& snapshot, const config::AppConfig& app, const store::Channel& channel,
                  const Request& request, std::int64_t valid_for, bool online) {
  // Asked over TLS: the TLS ports where they are open, so the URLs keep the request's security.
  const bool rtmps = request.secure && snapshot.server.rtmps.has_value();
  const bool https = request.secure && snapshot.server.https.has_value();
  const auto& rtmp_listen = rtmps ? *snapshot.server.rtmps : snapshot.server.rtmp;
  const auto& http_listen = https ? *snapshot.server.https : snapshot.server.http;
  const auto rtmp = std::string(rtmps ? "rtmps://" : "rtmp://") + public_host(request, rtmp_listen) + ":" +
                    std::to_string(rtmp_listen.port) + "/" + app.name + "/" + channel.id;
  const auto http = std::string(https ? "https://" : "http://") + public_host(request, http_listen) + ":" +
                    std::to_string(http_listen.port) + "/" + app.name + "/" + channel.id;
  const auto expires_at = access::unix_now() + valid_for;
  return {{"id", channel.id},
          {"app", app.name},
          {"created_at", channel.created_at},
          {"online", online},
          {"push_url", with_query(rtmp, app.push_auth, channel.id, expires_at)},
          {"play_urls",
           {{"rtmp", with_query(rtmp, app.play_auth, channel.id, expires_at)},
            {"flv", with_query(http + ".flv", app.play_auth, channel.id, expires_at)},
            {"hls", with_query(http + ".m3u8", app.play_auth, channel.id, expires_at)}}},
          {"urls_expire_at", app.push_auth.enabled() || app.play_auth.enabled() ? json(expires_at) : json()}};
}

std::string random_id() {
  std::random_device device;
  std::uniform_int_distribution<std::uint32_t> pick;
  char id[16];
  std::snprintf(id, sizeof id, "ch%08x", pick(device));
  return id;
}

std::int64_t query_validity(const Request& request) {
  const auto it = request.query.find("expires_in");
  if (it == request.query.end()) return kDefaultValidity;
  try {
    return validity(json(std::stoll(it->second)));
  } catch (const std::logic_error&) {
    throw ApiError(400, 400, "expires_in must be a positive number of seconds");
  }
}

}  // namespace

void add_channel_routes(Router& router, Management& m) {
  router.add("GET", "/api/v1/apps/:app/channels", [&m](const Request& request, const Params& p) {
    const auto snapshot = m.config.get();
    const auto& app = known_app(*snapshot, param(p, "app"));
    const auto valid_for = query_validity(request);
    const auto channels = m.database.call([&](store::Connection& c) { return store::list_channels(c, app.name); });
    json list = json::array();
    for (const auto& channel : channels) {
      const bool online = m.hub.find({app.name, channel.id}) != nullptr;
      list.push_back(channel_json(*snapshot, app, channel, request, valid_for, online));
    }
    Response r;
    r.data = std::move(list);
    return r;
  });

  router.add("POST", "/api/v1/apps/:app/channels", [&m](const Request& request, const Params& p) {
    const auto snapshot = m.config.get();
    const auto& app = known_app(*snapshot, param(p, "app"));
    const auto body = request.body.empty() ? json::object() : json_body(request);
    std::string id;
    if (const auto it = body.find("id"); it != body.end() && !it->is_null()) {
      if (!it->is_string() || !hub::is_valid_name(it->get<std::string>())) {
        throw ApiError(400, 400, "id must be a stream name ([A-Za-z0-9_.-]{1,128})");
      }
      id = it->get<std::string>();
    } else {
      id = random_id();
    }
    const auto valid_for = validity(body.value("expires_in", json()));
    if (m.cluster_sync) cluster_call([&] { m.cluster_sync->require_connected(); });
    const store::Channel channel{app.name, id, access::unix_now()};
    const auto result = m.database.call(
        [&](store::Connection& c) { return store::insert_channel(c, channel, app.max_channels); });
    if (result == store::ChannelInsert::exists) {
      throw ApiError(409, 40901, "channel '" + id + "' already exists in app '" + app.name + "'");
    }
    if (result == store::ChannelInsert::quota_reached) {
      throw ApiError(409, 40902, "app '" + app.name + "' already has max_channels (" +
                                     std::to_string(app.max_channels) + ") channels");
    }
    m.access.add_channel({app.name, id});
    if (m.cluster_sync) cluster_call([&] { m.cluster_sync->channel_added({app.name, id}); });
    spdlog::info("api: channel {}/{} created by api {}", app.name, log_text(id), request.client_ip);
    Response r;
    r.data = channel_json(*snapshot, app, channel, request, valid_for, m.hub.find({app.name, id}) != nullptr);
    return r;
  });

  router.add("GET", "/api/v1/apps/:app/channels/:id", [&m](const Request& request, const Params& p) {
    const auto snapshot = m.config.get();
    const auto& app = known_app(*snapshot, param(p, "app"));
    const auto& id = param(p, "id");
    const auto channel = m.database.call([&](store::Connection& c) { return store::find_channel(c, app.name, id); });
    if (!channel) throw ApiError(404, 404, "no channel '" + id + "' in app '" + app.name + "'");
    Response r;
    r.data = channel_json(*snapshot, app, *channel, request, query_validity(request),
                          m.hub.find({app.name, id}) != nullptr);
    return r;
  });

  router.add("DELETE", "/api/v1/apps/:app/channels/:id", [&m](const Request& request, const Params& p) {
    const auto snapshot = m.config.get();
    const auto& app = known_app(*snapshot, param(p, "app"));
    const auto& id = param(p, "id");
    if (m.cluster_sync) cluster_call([&] { m.cluster_sync->require_connected(); });
    const bool deleted = m.database.call([&](store::Connection& c) { return store::delete_channel(c, app.name, id); });
    if (!deleted) throw ApiError(404, 404, "no channel '" + id + "' in app '" + app.name + "'");
    m.access.remove_channel({app.name, id});
    if (m.cluster_sync) cluster_call([&] { m.cluster_sync->channel_removed({app.name, id}); });
    // In channel mode a deleted channel may no longer publish: its publisher is cut.
    bool cut = false;
    if (app.mode == config::AppMode::channel) {
      if (auto live = m.hub.find({app.name, id})) {
        live->stop("dropped");
        cut = true;
      }
    }
    spdlog::info("api: channel {}/{} deleted by api {}", app.name, log_text(id), request.client_ip);
    Response r;
    r.data = {{"id", id}, {"app", app.name}, {"deleted", true}, {"publisher_cut", cut}};
    return r;
  });
}

}  // namespace liveorigin::api
