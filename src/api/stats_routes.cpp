#include <cmath>
#include <sstream>

#include "liveorigin/api/management.hpp"

namespace liveorigin::api {

using nlohmann::json;

namespace {

struct Totals {
  std::size_t streams = 0;
  std::size_t players[hub::kPlayProtocols] = {};
};

Totals totals(const Management& m, const std::vector<std::shared_ptr<hub::Stream>>& streams) {
  Totals t;
  t.streams = streams.size();
  for (const auto& s : streams) {
    t.players[0] += s->stats()->players(hub::PlayProtocol::rtmp);
    t.players[1] += s->stats()->players(hub::PlayProtocol::flv);
    if (m.hls_players) t.players[2] += m.hls_players(s->key());
  }
  return t;
}

double uptime(const Management& m) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - m.started).count();
}

// Label values: backslash, quote and newline escaped (names are already [A-Za-z0-9_.-]).
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? 'n' : c;
  }
  return out;
}

void metric(std::ostringstream& out, std::string_view name, std::string_view type, std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

// The codec labels of a stream's series: a closed set of names ("none" while unknown), so they add
// no cardinality beyond one series per stream.
std::string stream_labels(const hub::Stream& s) {
  const auto video = s.stats()->video();
  const auto audio = s.stats()->audio();
  return "app=\"" + label(s.key().app) + "\",stream=\"" + label(s.key().name) + "\",video_codec=\"" +
         media::codec_name(video ? video->codec : media::Codec::none) + "\",audio_codec=\"" +
         media::codec_name(audio ? audio->codec : media::Codec::none) + "\"";
}

std::string metrics_text(const Management& m) {
  const auto streams = m.hub.streams();
  const auto t = totals(m, streams);
  std::ostringstream out;
  metric(out, "liveorigin_uptime_seconds", "gauge", "Seconds since the server started.");
  out << "liveorigin_uptime_seconds " << std::floor(uptime(m)) << '\n';
  metric(out, "liveorigin_connections", "gauge", "Open RTMP and media HTTP connections.");
  out << "liveorigin_connections " << m.stats.connections.load() << '\n';
  metric(out, "liveorigin_streams", "gauge", "Live streams (with a publisher).");
  out << "liveorigin_streams " << t.streams << '\n';
  metric(out, "liveorigin_players", "gauge", "Players by protocol.");
  out << "liveorigin_players{protocol=\"rtmp\"} " << t.players[0] << '\n'
      << "liveorigin_players{protocol=\"flv\"} " << t.players[1] << '\n'
      << "liveorigin_players{protocol=\"hls\"} " << t.players[2] << '\n';
  metric(out, "liveorigin_bytes_in_total", "counter", "Bytes received on RTMP and media HTTP.");
  out << "liveorigin_bytes_in_total " << m.stats.bytes_in.load() << '\n';
  metric(out, "liveorigin_bytes_out_total", "counter", "Bytes sent on RTMP and media HTTP.");
  out << "liveorigin_bytes_out_total " << m.stats.bytes_out.load() << '\n';
  metric(out, "liveorigin_stream_bytes_in_total", "counter",
         "Media bytes received per live stream, labelled with its default tracks' codecs.");
  for (const auto& s : streams) out << "liveorigin_stream_bytes_in_total{" << stream_labels(*s) << "} " << s->bytes_in() << '\n';
  // Multitrack streams: each track's payload bytes (at most kCountedTracks per kind per stream).
  metric(out, "liveorigin_stream_track_bytes_in_total", "counter",
         "Payload bytes received per track of a multitrack (enhanced RTMP v2) stream.");
  for (const auto& s : streams) {
    const auto tracks = s->stats()->tracks();
    if (tracks.empty()) continue;
    const auto counters = s->stats()->counters();
    for (const auto& t : tracks) {
      if (t.id >= hub::StreamStats::kCountedTracks) continue;
      out << "liveorigin_stream_track_bytes_in_total{app=\"" << label(s->key().app) << "\",stream=\""
          << label(s->key().name) << "\",type=\"" << (t.video ? "video" : "audio") << "\",track=\""
          << static_cast<int>(t.id) << "\",codec=\""
          << media::codec_name(t.video ? t.video_info.codec : t.audio_info.codec) << "\"} "
          << counters.track_bytes[hub::StreamStats::track_slot(t.video, t.id)] << '\n';
    }
  }
  const auto apps = m.hub.usage().app_totals();
  metric(out, "liveorigin_app_bytes_in_total", "counter", "Media bytes received per app (usage, updated every second).");
  for (const auto& [app, totals] : apps) out << "liveorigin_app_bytes_in_total{app=\"" << label(app) << "\"} " << totals.bytes_in << '\n';
  metric(out, "liveorigin_app_bytes_out_total", "counter",
         "Bytes sent to players per app and protocol (usage, updated every second).");
  for (const auto& [app, totals] : apps) {
    for (std::size_t i = 0; i < totals.bytes_out.size(); ++i) {
      out << "liveorigin_app_bytes_out_total{app=\"" << label(app) << "\",protocol=\"" << common::kUsageProtocols[i]
          << "\"} " << totals.bytes_out[i] << '\n';
    }
  }
  metric(out, "liveorigin_refusals_total", "counter",
         "Peers refused or cut by a limit (limits: in the config), by reason.");
  for (std::size_t i = 0; i < net::kRefusalNames.size(); ++i)
    out << "liveorigin_refusals_total{reason=\"" << net::kRefusalNames[i] << "\"} " << m.stats.refusals[i].load() << '\n';
  if (m.cluster_registry) {
    metric(out, "liveorigin_cluster_pulls_served", "gauge",
           "Streams other cluster nodes pull from this node (edge pulls), by pulling node.");
    for (const auto& [node, n] : m.stats.pulls_served.snapshot())
      out << "liveorigin_cluster_pulls_served{node=\"" << label(node) << "\"} " << n << '\n';
  }
  // Gauges of other features (e.g. liveorigin_callback_queue_depth from the notifier).
  for (const auto& gauge : m.gauges) {
    metric(out, gauge.name, gauge.type, gauge.help);
    out << gauge.name << ' ' << gauge.value() << '\n';
  }
  return out.str();
}

}  // namespace

void add_stats_routes(Router& router, Management& m) {
  router.add("GET", "/healthz", [](const Request&, const Params&) {
    Response r;
    r.data = {{"status", "ok"}};
    return r;
  });

  router.add("GET", "/api/v1/stats", [&m](const Request&, const Params&) {
    const auto t = totals(m, m.hub.streams());
    Response r;
    r.data = {{"uptime_s", std::lround(std::floor(uptime(m)))},
              {"connections", m.stats.connections.load()},
              {"streams", t.streams},
              {"players", t.players[0] + t.players[1] + t.players[2]},
              {"players_by_protocol", {{"rtmp", t.players[0]}, {"flv", t.players[1]}, {"hls", t.players[2]}}},
              {"kbps_in", std::lround(m.rates.kbps_in())},
              {"kbps_out", std::lround(m.rates.kbps_out())},
              {"bytes_in", m.stats.bytes_in.load()},
              {"bytes_out", m.stats.bytes_out.load()}};
    return r;
  });

  router.add("GET", "/metrics", [&m](const Request&, const Params&) {
    Response r;
    r.raw = metrics_text(m);
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
}

}  // namespace liveorigin::api
