// Wires recording into the server: for every publish that the app's record config or the push
// URL (record=flv|mp4, record_interval=SEC) asks to record, a recorder output is attached to the
// stream. Landed files go to `on_landed` (the composition root: a store row and a callback).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <unistd.h>

#include "liveorigin/api/recording_routes.hpp"
#include "liveorigin/net/stream_observer.hpp"
#include "liveorigin/record/recorder.hpp"
#include "liveorigin/record/recording_store.hpp"

namespace liveorigin::app {

class RecordObserver : public net::StreamObserver {
 public:
  RecordObserver(const std::string& data_dir, std::function<void(const record::LandedRecording&)> on_landed)
      : recorder_({(std::filesystem::path(data_dir) / "vod").string(), 64u << 20, std::move(on_landed)}) {}

  record::Recorder& recorder() { return recorder_; }

  void on_publish(const net::PublishStart& start) override {
    const auto& cfg = start.app.record;
    const auto settings = record::resolve_record_settings(cfg.enabled, cfg.format, cfg.interval, start.query);
    if (!settings) return;
    const auto& key = start.stream.key();
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

}  // namespace liveorigin::app
