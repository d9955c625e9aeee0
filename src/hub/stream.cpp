#include "liveorigin/hub/stream.hpp"

#include <algorithm>

namespace liveorigin::hub {

// The subscribers of one stream on one loop. Lives on that loop and is only touched there.
class Relay {
 public:
  void add(std::weak_ptr<Subscriber> subscriber) { subscribers_.push_back(std::move(subscriber)); }

  void deliver(const media::PacketPtr& packet) {
    // Players that went away leave expired entries; drop them as we pass.
    std::erase_if(subscribers_, [&](const std::weak_ptr<Subscriber>& weak) {
      auto subscriber = weak.lock();
      if (!subscriber) return true;
      subscriber->on_packet(packet);
      return false;
    });
  }

  void end() {
    auto subscribers = std::move(subscribers_);
    for (auto& weak : subscribers) {
      if (auto subscriber = weak.lock()) subscriber->on_stream_end();
    }
  }

 private:
  std::vector<std::weak_ptr<Subscriber>> subscribers_;
};


Stream::Stream(StreamKey key, Loop& loop, PublisherInfo publisher, StreamOptions options)
    : key_(std::move(key)), loop_(loop), publisher_(std::move(publisher)),
      cache_(options.gop_cache) {}

Stream::~Stream() = default;

std::shared_ptr<Relay> Stream::relay_for(Loop& loop) {
  for (auto& [l, relay] : relays_) {
    if (l == &loop) return relay;
  }
  return relays_.emplace_back(&loop, std::make_shared<Relay>()).second;
}

void Stream::publish(const media::PacketPtr& packet) {
  if (ended_) return;
  bytes_in_.fetch_add(packet->body().size(), std::memory_order_relaxed);
  stats_->on_packet(*packet);
  if (packet->is_audio() && !has_audio_) has_audio_ = true;
  if (packet->is_video() && !has_video_) has_video_ = true;
  // onMetaData is cached for late joiners; other data messages (cue points, text) only pass live.
  if (packet->type != media::MediaType::data || media::is_metadata_body(packet->body())) cache_.add(packet);
  for (const auto& output : outputs_) output->on_packet(packet);
  for (auto& [loop, relay] : relays_) {
    if (loop == &loop_) {
      relay->deliver(packet);
    } else {
      loop->post([relay = relay, packet] { relay->deliver(packet); });
    }
  }
}

void Stream::end() {
  if (ended_) return;
  ended_ = true;
  for (auto& [loop, relay] : relays_) {
    if (loop == &loop_) {
      relay->end();
    } else {
      loop->post([relay = relay] { relay->end(); });
    }
  }
  relays_.clear();
  stop_handler_ = nullptr;
  auto outputs = std::move(outputs_);
  for (const auto& output : outputs) output->on_stream_end();
}

void Stream::attach(std::shared_ptr<Subscriber> output) { outputs_.push_back(std::move(output)); }

void Stream::subscribe(Loop& subscriber_loop, std::weak_ptr<Subscriber> subscriber) {
  // On the stream's loop, the snapshot and the relay registration happen at one point of the
  // packet sequence; posting both to the subscriber's loop keeps them ahead of later packets.
  loop_.post([self = shared_from_this(), &subscriber_loop, subscriber = std::move(subscriber)] {
    if (self->ended_) {
      subscriber_loop.post([subscriber] {
        if (auto s = subscriber.lock()) s->on_stream_end();
      });
      return;
    }
    auto join = [relay = self->relay_for(subscriber_loop), snapshot = self->cache_.snapshot(),
                 subscriber] {
      auto s = subscriber.lock();
      if (!s) return;
      for (const auto& packet : snapshot) s->on_packet(packet);
      relay->add(subscriber);
    };
    // On the stream's own loop, join now: the next packet is delivered directly, not posted.
    if (&subscriber_loop == &self->loop_) {
      join();
    } else {
      subscriber_loop.post(std::move(join));
    }
  });
}

void Stream::set_stop_handler(std::function<void(const std::string&)> handler) {
  stop_handler_ = std::move(handler);
}

void Stream::stop(std::string reason) {
  loop_.post([self = shared_from_this(), reason = std::move(reason)] {
    if (self->stop_handler_) self->stop_handler_(reason);
  });
}

}  // namespace liveorigin::hub
