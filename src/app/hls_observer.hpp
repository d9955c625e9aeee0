// Wires HLS into the server: for every publish of an app with hls.enabled, an hls::HlsOutput is
// attached to the stream (fed on its loop); the library serves HTTP, the disk writer hls.path.
#pragma once

#include <memory>
#include <string>

#include "liveorigin/hls/disk_writer.hpp"
#include "liveorigin/hls/hls_output.hpp"
#include "liveorigin/hls/library.hpp"
#include "liveorigin/hub/stream_observer.hpp"

namespace liveorigin::app {

class HlsObserver : public hub::StreamObserver {
 public:
  hls::Library& library() { return library_; }

  void on_publish(const hub::PublishStart& start) override {
    const auto& cfg = start.app.hls;
    if (!cfg.enabled) return;
    auto& stream = start.stream;
    start.stream.attach(std::make_shared<hls::HlsOutput>(
        stream.key(),
        hls::OutputOptions{cfg.fragment, cfg.window, cfg.path,
                           cfg.format == "ts"     ? hls::Format::ts
                           : cfg.format == "fmp4" ? hls::Format::fmp4
                                                  : hls::Format::automatic},
        library_, &disk_,
        "hls " + stream.key().str()));
  }

 private:
  hls::Library library_;
  hls::DiskWriter disk_;  // its thread sleeps unless some app sets hls.path
};

}  // namespace liveorigin::app
