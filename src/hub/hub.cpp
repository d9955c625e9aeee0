#include "liveorigin/hub/hub.hpp"

#include <atomic>
#include <thread>

namespace liveorigin::hub {

Hub::Hub() : own_registry_(std::make_unique<LocalRegistry>()), registry_(*own_registry_) {}

Hub::Hub(StreamRegistry& registry) : registry_(registry) {}

ClaimRequest Hub::claim_request(const std::shared_ptr<Stream>& stream, std::size_t max_streams,
                                Clock::time_point stale_before) const {
  // A holder whose stream object is gone has stopped sending: stale.
  auto last_media = [weak = std::weak_ptr<Stream>(stream)] {
    const auto s = weak.lock();
    return s ? s->last_media() : Clock::time_point::min();
  };
  // A shared registry that finds the name taken behind this holder's back stops it.
  auto on_lost = [weak = std::weak_ptr<Stream>(stream)](const std::string& reason) {
    if (const auto s = weak.lock()) s->stop(reason);
  };
  return {stream->key(), stream->publisher(), max_streams, stale_before, std::move(last_media), std::move(on_lost)};
}

std::shared_ptr<Stream> Hub::adopt(const std::shared_ptr<Stream>& stream, std::uint64_t epoch) {
  std::lock_guard lock(mutex_);
  auto& slot = streams_[stream->key()];
  auto replaced = std::move(slot.stream);
  slot = {stream, epoch};
  return replaced;
}

void Hub::publish(PublishRequest request, std::function<void(PublishResult)> done) {
  auto stream = std::make_shared<Stream>(request.key, *request.loop, request.publisher, request.options,
                                         usage_.stream(request.key));
  const auto& limits = request.config->limits;
  const auto stale_before =
      Clock::now() - std::chrono::milliseconds(static_cast<std::int64_t>(limits.stale_publisher * 1000));
  auto claim = claim_request(stream, static_cast<std::size_t>(limits.max_streams), stale_before);

  // A registry that answers inside claim() on this thread continues here; one that answers later
  // (another node's) has the rest posted to the source's loop, where the stream lives.
  struct Pending {
    PublishRequest request;
    std::shared_ptr<Stream> stream;
    std::function<void(PublishResult)> done;
    std::thread::id caller = std::this_thread::get_id();
    std::atomic<bool> in_call{true};
  };
  // Braces, not make_shared's parentheses: clang 14 (the fuzz build) has no parenthesised
  // aggregate initialisation.
  auto pending = std::shared_ptr<Pending>(new Pending{std::move(request), std::move(stream), std::move(done)});
  if (pending->request.publisher.pulled()) {
    granted(pending->request, pending->stream, pull_claim(pending->stream->key()), pending->done);
    return;
  }
  registry_.claim(std::move(claim), [this, pending](ClaimResult result) {
    if (pending->in_call.load() && std::this_thread::get_id() == pending->caller) {
      granted(pending->request, pending->stream, std::move(result), pending->done);
      return;
    }
    pending->request.loop->post([this, pending, result = std::move(result)]() mutable {
      granted(pending->request, pending->stream, std::move(result), pending->done);
    });
  });
  pending->in_call.store(false);
}

ClaimResult Hub::pull_claim(const StreamKey& key) const {
  std::lock_guard lock(mutex_);
  ClaimResult result;
  result.outcome = streams_.contains(key) ? ClaimResult::Outcome::busy : ClaimResult::Outcome::granted;
  return result;  // epoch 0: the registry is not asked, and not told at release either
}

void Hub::granted(PublishRequest& request, std::shared_ptr<Stream> stream, ClaimResult claim,
                  const std::function<void(PublishResult)>& done) {
  if (!claim.granted()) {
    done(PublishResult{std::move(claim), {}});
    return;
  }
  const auto epoch = claim.epoch;
  stream->set_stop_handler(std::move(request.on_stop));
  if (auto replaced = adopt(stream, epoch)) replaced->stop("replaced");  // it ends on its own loop
  Publication publication(*this, stream, epoch);
  // Before the first packet: the place for observers to attach outputs.
  const PublishStart start{*stream, *request.app, *request.config, request.publisher.ip, request.query};
  for (auto* observer : observers_) observer->on_publish(start);
  done(PublishResult{std::move(claim), std::move(publication)});
}

void Hub::ended(Stream& stream, const std::string& reason) {
  for (auto* observer : observers_) observer->on_unpublish(stream, reason);
  release(stream);
}

std::shared_ptr<Stream> Hub::claim(const StreamKey& key, Loop& loop, PublisherInfo publisher,
                                   StreamOptions options) {
  return claim_or_take_over(key, loop, std::move(publisher), options, Clock::time_point::min()).stream;
}

Hub::Claim Hub::claim_or_take_over(const StreamKey& key, Loop& loop, PublisherInfo publisher,
                                   StreamOptions options, Clock::time_point stale_before) {
  auto stream = std::make_shared<Stream>(key, loop, std::move(publisher), options, usage_.stream(key));
  Claim out;
  registry_.claim(claim_request(stream, 0, stale_before), [&](ClaimResult result) {
    if (!result.granted()) return;
    out.replaced = adopt(stream, result.epoch);
    out.stream = stream;
  });
  return out;
}

void Hub::release(const Stream& stream) {
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mutex_);
    const auto it = streams_.find(stream.key());
    if (it == streams_.end() || it->second.stream.get() != &stream) return;
    epoch = it->second.epoch;
    streams_.erase(it);
  }
  if (!stream.publisher().pulled()) registry_.release(stream.key(), epoch);
}

std::shared_ptr<Stream> Hub::find(const StreamKey& key) const {
  std::lock_guard lock(mutex_);
  const auto it = streams_.find(key);
  return it == streams_.end() ? nullptr : it->second.stream;
}

std::vector<std::shared_ptr<Stream>> Hub::streams() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Stream>> out;
  out.reserve(streams_.size());
  for (const auto& [key, local] : streams_) out.push_back(local.stream);
  return out;
}

Publication::Publication(Publication&& other) noexcept
    : hub_(other.hub_), stream_(std::move(other.stream_)), epoch_(other.epoch_) {}

Publication& Publication::operator=(Publication&& other) noexcept {
  if (this != &other) {
    end("closed");
    hub_ = other.hub_;
    stream_ = std::move(other.stream_);
    epoch_ = other.epoch_;
  }
  return *this;
}

void Publication::end(const std::string& reason) {
  if (!stream_) return;
  const auto stream = std::move(stream_);  // ended once, even if an observer ends it again
  stream->end();
  hub_->ended(*stream, reason);
}

}  // namespace liveorigin::hub
