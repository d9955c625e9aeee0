// A publisher's hold on a live stream, from Hub::publish: packets go in through it, and it ends the
// publication once — observers told with the reason, the name released — at the latest when it is
// destroyed ("closed").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "liveorigin/hub/stream.hpp"

namespace liveorigin::hub {

class Hub;

class Publication {
 public:
  Publication() = default;
  Publication(Publication&& other) noexcept;
  Publication& operator=(Publication&& other) noexcept;
  Publication(const Publication&) = delete;
  Publication& operator=(const Publication&) = delete;
  ~Publication() { end("closed"); }

  explicit operator bool() const { return stream_ != nullptr; }
  Stream& stream() const { return *stream_; }
  std::uint64_t epoch() const { return epoch_; }  // the registry's fencing token for this hold

  // On the stream's loop, per packet: no more than Stream::publish.
  void publish(const media::PacketPtr& packet) { stream_->publish(packet); }
  // Ends the stream, tells the observers why (closed, dropped, disabled, timeout, shutdown,
  // replaced, error) and releases the name. Once; later calls do nothing.
  void end(const std::string& reason);

 private:
  friend class Hub;
  Publication(Hub& hub, std::shared_ptr<Stream> stream, std::uint64_t epoch)
      : hub_(&hub), stream_(std::move(stream)), epoch_(epoch) {}

  Hub* hub_ = nullptr;
  std::shared_ptr<Stream> stream_;
  std::uint64_t epoch_ = 0;
};

}  // namespace liveorigin::hub
