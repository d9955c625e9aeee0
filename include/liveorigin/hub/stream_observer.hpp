// What the rest of the server learns about a stream's life: HLS, the recorder and the notifier
// are StreamObservers registered in the composition root (Hub::add_observer), in order.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "liveorigin/config/config.hpp"
#include "liveorigin/hub/stream.hpp"

namespace liveorigin::hub {

struct PublishStart {
  Stream& stream;
  const config::AppConfig& app;                    // the publisher's config snapshot
  const config::Config& config;
  std::string client_ip;
  const std::map<std::string, std::string>& query;  // publish name query merged over tcUrl's
};

class StreamObserver {
 public:
  virtual ~StreamObserver() = default;
  // On the stream's loop, after the publish is accepted and before its first packet: the place
  // to attach outputs (Stream::attach).
  virtual void on_publish(const PublishStart& start) {}
  // On the stream's loop, after the last packet. reason: closed, dropped, disabled, timeout,
  // shutdown, replaced, error.
  virtual void on_unpublish(Stream& stream, std::string_view reason) {}
};

}  // namespace liveorigin::hub
