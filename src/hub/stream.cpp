#include "liveorigin/hub/stream.hpp"

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "liveorigin/hub/fanout.hpp"

namespace liveorigin::hub {

Stream::Stream(StreamKey key, Loop& loop, PublisherInfo publisher, StreamOptions options,
               std::shared_ptr<StreamUsage> usage)
    : key_(std::move(key)), loop_(loop), publisher_(std::move(publisher)),
      cache_(options.gop_cache), stats_(std::make_shared<StreamStats>(std::move(usage))) {}

Stream::~Stream() = default;

std::shared_ptr<Fanout> Stream::fanout_for(Loop& loop) {
  for (auto& [l, fanout] : fanouts_) {
    if (l == &loop) return fanout;
  }
  return fanouts_.emplace_back(&loop, std::make_shared<Fanout>(loop)).second;
}

namespace {
// A publisher sending nothing but unreadable tags logs one line per interval, not one per tag.
constexpr auto kDropLogInterval = std::chrono::seconds(10);
}  // namespace

void Stream::log_dropped(const media::Packet& packet) {
  ++drops_unlogged_;
  const auto now = std::chrono::steady_clock::now();
  if (drop_logged_at_ != std::chrono::steady_clock::time_point{} && now - drop_logged_at_ < kDropLogInterval) return;
  spdlog::warn("{}: {} {} message(s) dropped: {} (first body bytes {:02x})", key_.str(), drops_unlogged_,
               packet.is_video() ? "video" : "audio", packet.drop_reason,
               fmt::join(packet.body().first(std::min<std::size_t>(packet.body().size(), 10)), " "));
  drop_logged_at_ = now;
  drops_unlogged_ = 0;
}

void Stream::publish(const media::PacketPtr& packet) {
  if (ended_) return;
  if (packet->drop_reason) {
    log_dropped(*packet);
    return;
  }
  bytes_in_.fetch_add(packet->body().size(), std::memory_order_relaxed);
  last_media_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  stats_->on_packet(*packet);
  if (packet->is_audio() && !has_audio_) has_audio_ = true;
  if (packet->is_video() && !has_video_) has_video_ = true;
  // onMetaData is cached for late joiners; other data messages (cue points, text) only pass live.
  if (packet->type != media::MediaType::data || media::is_metadata_body(packet->body())) cache_.add(packet);
  for (const auto& output : outputs_) output->on_packet(packet);
  for (auto& [loop, fanout] : fanouts_) {
    if (loop == &loop_) {
      fanout->deliver(packet);
    } else {
      loop->post([fanout = fanout, packet] { fanout->deliver(packet); });
    }
  }
}

void Stream::end() {
  if (ended_) return;
  ended_ = true;
  for (auto& [loop, fanout] : fanouts_) {
    if (loop == &loop_) {
      fanout->end();
    } else {
      loop->post([fanout = fanout] { fanout->end(); });
    }
  }
  fanouts_.clear();
  stop_handler_ = nullptr;
  auto outputs = std::move(outputs_);
  for (const auto& output : outputs) output->on_stream_end();
}

void Stream::attach(std::shared_ptr<Subscriber> output) { outputs_.push_back(std::move(output)); }

void Stream::subscribe(Loop& reader_loop, std::weak_ptr<FeedReader> reader) {
  // On the stream's loop, the snapshot and the fanout registration happen at one point of the
  // packet sequence; posting both to the reader's loop keeps them ahead of later packets.
  loop_.post([self = shared_from_this(), &reader_loop, reader = std::move(reader)] {
    if (self->ended_) {
      reader_loop.post([reader] {
        if (auto r = reader.lock()) {
          r->feed().end();
          r->on_feed();
        }
      });
      return;
    }
    auto join = [fanout = self->fanout_for(reader_loop), snapshot = self->cache_.snapshot(),
                 reader]() mutable {
      if (auto r = reader.lock()) fanout->join(r->feed(), std::move(snapshot));
    };
    // On the stream's own loop, join now: the next packet is delivered directly, not posted.
    if (&reader_loop == &self->loop_) {
      join();
    } else {
      reader_loop.post(std::move(join));
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
