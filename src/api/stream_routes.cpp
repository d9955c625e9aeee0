#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "checks.hpp"
#include "liveorigin/common/log.hpp"
#include "liveorigin/api/management.hpp"
#include "liveorigin/media/packet.hpp"
#include "liveorigin/store/channels.hpp"
#include "liveorigin/store/stream_status.hpp"

namespace liveorigin::api {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxListed = 10000;  // rows of GET /api/v1/streams, and its default limit

long rounded(double v) { return std::lround(v); }

enum class ListState { live, all, disabled };

// The cluster's live streams by name (empty on a single node, or when Redis cannot be asked).
std::map<hub::StreamKey, cluster::ClaimValue> cluster_streams(Management& m) {
  std::map<hub::StreamKey, cluster::ClaimValue> out;
  if (!m.cluster_registry) return out;
  const auto claims = m.cluster_registry->cluster_claims(std::chrono::seconds(2));
  if (!claims) {
    spdlog::warn("api: the cluster's streams are unknown (Redis unreachable); listing this node's");
    return out;
  }
  for (const auto& claim : *claims) out.emplace(hub::StreamKey{claim.app, claim.stream}, claim);
  return out;
}

// A local stream of a cluster node says so. A pulled stream names its owner (never this node, so
// that the cluster's list has one owner per stream) and adds where this node pulls it from.
json with_node(const Management& m, json stream, const hub::Stream* live) {
  if (!m.cluster_registry || !live) return stream;
  const auto& publisher = live->publisher();
  if (!publisher.pulled()) {
    stream["node"] = m.cluster_registry->node().id;
    return stream;
  }
  // The owner may have changed since the pull began (it follows the stream to its new node).
  auto source = m.pulled_from ? m.pulled_from(live->key()) : std::string();
  if (source.empty()) source = publisher.pulled_from;
  stream["node"] = source;
  stream["pulled_from"] = source;
  return stream;
}

// A live stream of another node: what its claim says (the owner has its stats).
json remote_stream_json(const Management& m, const hub::StreamKey& key, const cluster::ClaimValue& claim) {
  auto out = stream_json(m, key, nullptr);
  out["online"] = true;
  out["publisher"] = {{"ip", claim.ip}, {"protocol", claim.protocol}, {"started_at", claim.started_at}};
  out["node"] = claim.node;
  return out;
}

// ?state= of the stream list: live (default), all (with known offline and disabled streams), disabled.
ListState list_state(const Request& request) {
  const auto it = request.query.find("state");
  if (it == request.query.end() || it->second == "live") return ListState::live;
  if (it->second == "all") return ListState::all;
  if (it->second == "disabled") return ListState::disabled;
  throw ApiError(400, 400, "state must be live, all or disabled");
}

// ?limit= of the stream list: at most this many rows (the store may know many more streams).
std::int64_t list_limit(const Request& request) {
  const auto it = request.query.find("limit");
  if (it == request.query.end()) return kMaxListed;
  std::int64_t limit = 0;
  const auto& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc() || end != text.data() + text.size() || limit < 1 || limit > kMaxListed) {
    throw ApiError(400, 400, "limit must be a number from 1 to " + std::to_string(kMaxListed));
  }
  return limit;
}

json video_json(const hub::Stream& live, const RateSampler::StreamRates& rates) {
  const auto info = live.stats()->video();
  if (!info && !live.has_video()) return nullptr;
  json v{{"codec", info ? media::codec_name(info->codec) : "unknown"},
         {"width", info ? info->width : 0},
         {"height", info ? info->height : 0},
         {"fps", std::round(rates.fps * 100) / 100},
         {"kbps", rounded(rates.video_kbps)}};
  if (info && !info->profile.empty()) v["profile"] = info->profile;
  return v;
}

json audio_json(const hub::Stream& live, const RateSampler::StreamRates& rates) {
  const auto info = live.stats()->audio();
  if (!info && !live.has_audio()) return nullptr;
  return {{"codec", info ? media::codec_name(info->codec) : "unknown"},
          {"sample_rate", info ? info->sample_rate : 0},
          {"channels", info ? info->channels : 0},
          {"kbps", rounded(rates.audio_kbps)}};
}

// A multitrack stream's every track (the default ones are also "video" and "audio").
json tracks_json(const std::vector<hub::StreamStats::Track>& tracks, const hub::StreamStats::Counters& counters,
                 const RateSampler::StreamRates& rates) {
  json out = json::array();
  for (const auto& t : tracks) {
    // Bytes and bit rate of the track's own payloads (tracks with ids past the counted ones: null).
    const auto counted = [&](json j) {
      const bool known = t.id < hub::StreamStats::kCountedTracks;
      const auto slot = hub::StreamStats::track_slot(t.video, t.id);
      j["bytes"] = known ? json(counters.track_bytes[slot]) : json(nullptr);
      j["kbps"] = known ? json(rounded(rates.track_kbps[slot])) : json(nullptr);
      return j;
    };
    if (t.video) {
      const auto& v = t.video_info;
      json j{{"id", t.id}, {"type", "video"}, {"codec", media::codec_name(v.codec)}, {"width", v.width},
             {"height", v.height}};
      if (!v.profile.empty()) j["profile"] = v.profile;
      out.push_back(counted(std::move(j)));
    } else {
      const auto& a = t.audio_info;
      out.push_back(counted({{"id", t.id}, {"type", "audio"}, {"codec", media::codec_name(a.codec)},
                             {"sample_rate", a.sample_rate}, {"channels", a.channels}}));
    }
  }
  return out;
}

// Disable / enable: durable first, then the cache the network threads read, then the cut.
json set_status(Management& m, const Request& request, const hub::StreamKey& key, bool disabled) {
  if (m.cluster_sync) cluster_call([&] { m.cluster_sync->require_connected(); });
  store::StreamStatus row{key.app, key.name, disabled ? "disabled" : "enabled", "api " + request.client_ip,
                          access::unix_now()};
  m.database.call([&](store::Connection& c) { store::save_stream_status(c, row); });
  m.access.set_disabled(key, disabled);
  bool cut = false;
  if (disabled) {
    if (auto live = m.hub.find(key)) {
      live->stop("disabled");
      cut = true;
    }
  }
  // Every node applies it (and the owner cuts its publisher) when told through Redis.
  if (m.cluster_sync) cluster_call([&] { m.cluster_sync->set_status(key, disabled, row.changed_by); });
  spdlog::info("api: {} {} by {}{}", log_text(key.str()), row.status, row.changed_by, cut ? ", publisher cut" : "");
  return {{"app", key.app}, {"stream", key.name}, {"status", row.status}, {"changed_by", row.changed_by},
          {"changed_at", row.changed_at}, {"publisher_cut", cut}};
}

}  // namespace

nlohmann::json stream_json(const Management& m, const hub::StreamKey& key, const hub::Stream* live) {
  json out{{"app", key.app}, {"stream", key.name}, {"online", live != nullptr},
           {"status", m.access.is_disabled(key) ? "disabled" : "enabled"}};
  if (!live) {
    out.update({{"publisher", nullptr}, {"video", nullptr}, {"audio", nullptr},
                {"players", {{"rtmp", 0}, {"flv", 0}, {"hls", 0}}}, {"bytes_in", 0}, {"bytes_out", 0}});
    return out;
  }
  const auto& stats = *live->stats();
  const auto rates = m.rates.rates(*live);
  const auto& publisher = live->publisher();
  out["publisher"] = {{"ip", publisher.ip}, {"protocol", publisher.protocol}, {"started_at", publisher.started_at}};
  out["video"] = video_json(*live, rates);
  out["audio"] = audio_json(*live, rates);
  if (auto tracks = stats.tracks(); !tracks.empty()) out["tracks"] = tracks_json(tracks, stats.counters(), rates);
  out["players"] = {{"rtmp", stats.players(hub::PlayProtocol::rtmp)},
                    {"flv", stats.players(hub::PlayProtocol::flv)},
                    {"hls", m.hls_players ? m.hls_players(key) : 0}};
  out["bytes_in"] = live->bytes_in();
  out["bytes_out"] = stats.counters().bytes_out;
  return out;
}

void PublishHistory::on_publish(const hub::PublishStart& start) {
  if (start.stream.publisher().pulled()) return;  // the owner's store notes it
  // Queued for the store thread: the media loop does not wait for the disk.
  database_.post([key = start.stream.key(), at = access::unix_now()](store::Connection& c) {
    store::note_published(c, key.app, key.name, at);
  });
}

void load_access(store::Database& database, access::Access& access) {
  auto [disabled, channels] = database.call([](store::Connection& c) {
    std::vector<hub::StreamKey> off, ids;
    for (const auto& row : store::load_stream_statuses(c)) {
      if (row.status == "disabled") off.push_back({row.app, row.stream});
    }
    for (const auto& channel : store::list_channels(c)) ids.push_back({channel.app, channel.id});
    return std::pair{off, ids};
  });
  access.load(disabled, channels);
  spdlog::info("access: {} disabled stream(s), {} channel(s) loaded", disabled.size(), channels.size());
}

void add_stream_routes(Router& router, Management& m) {
  router.add("GET", "/api/v1/streams", [&m](const Request& request, const Params&) {
    const auto state = list_state(request);
    const auto limit = list_limit(request);
    std::optional<std::string> app;
    if (const auto it = request.query.find("app"); it != request.query.end()) app = it->second;

    std::map<hub::StreamKey, std::shared_ptr<hub::Stream>> rows;  // ordered by app, then stream
    std::map<hub::StreamKey, cluster::ClaimValue> remote;         // live on other nodes
    if (state != ListState::disabled) {
      for (auto& live : m.hub.streams()) {
        if (!app || live->key().app == *app) rows.emplace(live->key(), std::move(live));
      }
      for (auto& [key, claim] : cluster_streams(m)) {
        if ((!app || key.app == *app) && !rows.contains(key)) {
          rows.emplace(key, nullptr);
          remote.emplace(key, std::move(claim));
        }
      }
    }
    if (state != ListState::live) {
      // The first `limit` stored names, merged with the live ones, still give the first `limit` rows.
      const auto names = m.database.call([&](store::Connection& c) {
        return state == ListState::all ? store::list_known_streams(c, app, limit)
                                       : store::list_disabled_streams(c, app, limit);
      });
      for (const auto& name : names) {
        hub::StreamKey key{name.app, name.stream};
        if (!rows.contains(key)) rows.emplace(key, m.hub.find(key));
      }
    }
    json list = json::array();
    for (const auto& [key, live] : rows) {
      if (std::ssize(list) == limit) break;
      if (const auto it = remote.find(key); it != remote.end()) {
        list.push_back(remote_stream_json(m, key, it->second));
      } else {
        list.push_back(with_node(m, stream_json(m, key, live.get()), live.get()));
      }
    }
    Response r;
    r.data = std::move(list);
    return r;
  });

  router.add("GET", "/api/v1/streams/:app/:stream", [&m](const Request&, const Params& p) {
    const hub::StreamKey key{param(p, "app"), param(p, "stream")};
    auto live = m.hub.find(key);
    if (!live && m.cluster_registry) {
      const auto streams = cluster_streams(m);
      if (const auto it = streams.find(key); it != streams.end()) {
        Response r;
        r.data = remote_stream_json(m, key, it->second);
        return r;
      }
    }
    if (!live) {
      // Known while offline: it has published before, has a stored status or is a channel.
      const bool known = m.access.has_channel(key) || m.database.call([&](store::Connection& c) {
        return store::was_published(c, key.app, key.name) ||
               store::find_stream_status(c, key.app, key.name).has_value();
      });
      if (!known) throw ApiError(404, 404, "unknown stream " + key.str());
    }
    Response r;
    r.data = with_node(m, stream_json(m, key, live.get()), live.get());
    return r;
  });

  router.add("PUT", "/api/v1/streams/:app/:stream/status", [&m](const Request& request, const Params& p) {
    const hub::StreamKey key{param(p, "app"), param(p, "stream")};
    known_app(*m.config.get(), key.app);
    const auto body = json_body(request);
    const auto status = body.find("status");
    if (status == body.end() || !status->is_string() ||
        (*status != "enabled" && *status != "disabled")) {
      throw ApiError(400, 400, "body must be {\"status\":\"enabled\"} or {\"status\":\"disabled\"}");
    }
    Response r;
    r.data = set_status(m, request, key, *status == "disabled");
    return r;
  });

  router.add("POST", "/api/v1/streams/:app/:stream/drop", [&m](const Request& request, const Params& p) {
    const hub::StreamKey key{param(p, "app"), param(p, "stream")};
    if (auto live = m.hub.find(key)) {
      live->stop("dropped");
    } else {
      // Live on another node: its owner cuts it when told through Redis.
      const auto streams = cluster_streams(m);
      const auto it = streams.find(key);
      if (it == streams.end()) throw ApiError(404, 404, "stream " + key.str() + " is not live");
      cluster_call([&] { m.cluster_sync->drop(key, it->second.node); });
    }
    spdlog::info("api: {} dropped by api {}", log_text(key.str()), request.client_ip);
    Response r;
    r.data = {{"app", key.app}, {"stream", key.name}, {"dropped", true}};
    return r;
  });
}

}  // namespace liveorigin::api
