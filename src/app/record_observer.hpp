// Wires recording into the server: for every publish that the app's record config or the push
// URL (record=flv|mp4|hls, record_interval=SEC) asks to record, a recorder output is attached to the
// stream. Landed files go to `on_landed` (the composition root: a store row and a callback).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "liveorigin/access/access.hpp"
#include "liveorigin/api/recording_routes.hpp"
#include "liveorigin/config/record_options.hpp"
#include "liveorigin/hub/stream_observer.hpp"
#include "liveorigin/record/recorder.hpp"
#include "liveorigin/record/recording_store.hpp"

namespace liveorigin::app {

class RecordObserver : public hub::StreamObserver {
 public:
  RecordObserver(const std::string& data_dir, std::function<void(const record::LandedRecording&)> on_landed)
      : recorder_({(std::filesystem::path(data_dir) / "vod").string(), 64u << 20, std::move(on_landed)}) {}

  record::Recorder& recorder() { return recorder_; }

  void on_publish(const hub::PublishStart& start) override {
    if (start.stream.publisher().pulled()) return;  // the owner records a cluster's stream
    const auto& cfg = start.app.record;
    const auto& key = start.stream.key();
    // The URL's record options as the app allows them (record.allow_url, the minimum interval).
    const auto url = config::url_record_options(cfg, start.query);
    for (const auto& note : url.notes) spdlog::warn("record {}: {}", key.str(), note);
    auto settings = record::resolve_record_settings(cfg.enabled, cfg.format, cfg.interval, url.query);
    if (!settings) return;
    settings->hls_fragment_s = start.app.hls.fragment;
    start.stream.attach(recorder_.start({key.app, key.name, start.client_ip, *settings}));
  }

 private:
  record::Recorder recorder_;
};

// The URL a backend or player uses for a landed file: the media HTTP listen address (a wildcard
// one becomes this host's name).
inline std::string vod_url(const config::Endpoint& http, std::string_view vod_path) {
  std::string host = http.host;
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    char name[256] = {};
    host = ::gethostname(name, sizeof name - 1) == 0 && name[0] ? name : "127.0.0.1";
  } else if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return "http://" + host + ":" + std::to_string(http.port) + std::string(vod_path);
}

// How long the txSecret of a returned recording URL stays valid.
inline constexpr std::int64_t kVodUrlValidity = 24 * 3600;

// vod_url, signed for kVodUrlValidity when the app has play auth: /vod/ checks it like live play.
inline std::string signed_vod_url(const config::Config& config, const std::string& app, const std::string& stream,
                                  std::string_view vod_path) {
  std::string url = vod_url(config.server.http, vod_path);
  const auto* found = config.find_app(app);
  if (found && found->play_auth.enabled()) {
    url += "?" + access::signed_query(found->play_auth.key, stream, access::unix_now() + kVodUrlValidity);
  }
  return url;
}

}  // namespace liveorigin::app
