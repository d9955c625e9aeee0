#include "liveorigin/hls/library.hpp"

#include <algorithm>
#include <functional>

#include <spdlog/spdlog.h>

namespace liveorigin::hls {

namespace {

using namespace std::chrono_literals;

template <typename D>
std::chrono::steady_clock::duration ticks(D d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}

// Wall seconds: a stream's next playlist starts seconds later (after kOfflineTargets targets),
// also across restarts, so a cached segment URL never names two different segments.
std::string new_playlist_id() {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

Library::Library(Clock clock) : clock_(std::move(clock)) {}

std::chrono::duration<double> Library::target(const Entry& e) const {
  return std::chrono::duration<double>(e.playlist.target_duration());
}

hub::StreamKey Library::rendition_key(const hub::StreamKey& main, int track_id) {
  // A '/' is never in a stream name, so this key names no stream.
  return {main.app, main.name + "/audio" + std::to_string(track_id)};
}

std::uint64_t Library::open_rendition(const hub::StreamKey& main, int track_id, int window, double fragment) {
  const auto key = rendition_key(main, track_id);
  const auto publish = open(key, window, fragment);
  std::lock_guard lock(mutex_);
  auto& e = entries_.at(key);
  e.segment_base = "audio" + std::to_string(track_id);
  e.rendition_track = track_id;
  return publish;
}

std::uint64_t Library::next_sequence(const hub::StreamKey& key) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.playlist.next_sequence();
}

void Library::describe(const hub::StreamKey& key, std::uint64_t publish, int width, int height, bool has_audio) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.publish != publish) return;
  it->second.width = width;
  it->second.height = height;
  it->second.has_audio = has_audio;
}

std::optional<std::string> Library::multivariant(const hub::StreamKey& key, std::string_view uri_query) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  sweep(now);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.offline_until <= now || !it->second.snapshot) return std::nullopt;
  const Entry& e = it->second;
  Variant variant{"../" + key.name + ".m3u8", e.playlist.peak_bandwidth(), e.width, e.height, e.has_audio};
  // The renditions ("NAME/audioN") sort together; listed once they have a segment.
  std::vector<AudioRendition> renditions;
  const std::string prefix = key.name + "/";
  for (auto r = entries_.lower_bound({key.app, prefix}); r != entries_.end() && r->first.app == key.app && r->first.name.starts_with(prefix); ++r) {
    const Entry& re = r->second;
    if (re.rendition_track < 0 || !re.snapshot || re.offline_until <= now) continue;
    renditions.push_back({re.rendition_track, re.segment_base + ".m3u8", re.playlist.peak_bandwidth()});
  }
  std::sort(renditions.begin(), renditions.end(), [](const auto& a, const auto& b) { return a.track_id < b.track_id; });
  return render_multivariant(variant, renditions, uri_query);
}

std::uint64_t Library::open(const hub::StreamKey& key, int window, double fragment) {
  std::lock_guard lock(mutex_);
  sweep(clock_());
  const auto publish = next_publish_++;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    it = entries_.try_emplace(key, window, fragment).first;
    it->second.playlist_id = new_playlist_id();
    it->second.segment_base = key.name;
  } else {
    it->second.playlist.mark_discontinuity();  // a republish continues the held playlist
  }
  it->second.publish = publish;
  it->second.offline_until = TimePoint::max();
  return publish;
}

Library::Added Library::add_segment(const hub::StreamKey& key, std::uint64_t publish, double duration,
                                    std::shared_ptr<const Bytes> data, std::shared_ptr<const Bytes> init,
                                    std::optional<std::uint64_t> sequence) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  sweep(now);
  Added added;
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.publish != publish) return added;
  Entry& e = it->second;
  if (sequence) e.playlist.start_at(*sequence);
  const std::string base = e.segment_base + "-" + e.playlist_id + "-";
  const auto number = std::to_string(e.playlist.next_sequence());
  if (init && init != e.init) {
    // New tracks or codec configs: players must reset their decoder, as after a republish.
    if (e.init) e.playlist.mark_discontinuity();
    e.init = init;
    e.init_uri = base + "init" + number + ".mp4";
    e.segments[e.init_uri] = Held{std::move(init)};
    added.init_uri = e.init_uri;
  } else if (!init) {
    e.init.reset();
    e.init_uri.clear();
  }
  added.uri = base + number + (e.init ? ".m4s" : ".ts");
  const auto bytes = data ? data->size() : 0;
  e.segments[added.uri] = Held{std::move(data)};
  const int target_before = e.playlist.target_duration();
  auto gone = e.playlist.add(duration, added.uri, e.init_uri, bytes);
  if (e.playlist.target_duration() > target_before) {
    spdlog::warn("hls {}: a {:.3f} s segment: key frames are further apart than hls.fragment, so the playlist's "
                 "target duration goes up to {} s (players start further behind live); set the encoder's key "
                 "frame interval to at most hls.fragment",
                 key.str(), duration, e.playlist.target_duration());
  }
  // Players a little behind still find what just left the playlist for a window's duration.
  const auto keep = ticks(target(e) * static_cast<double>(std::max<std::size_t>(e.playlist.entries().size(), 1)));
  for (auto& g : gone) {
    if (auto s = e.segments.find(g.uri); s != e.segments.end()) s->second.expires = now + keep;
    added.evicted.push_back(std::move(g.uri));
    // An init segment goes with the last listed fragment that needs it.
    const auto& entries = e.playlist.entries();
    if (!g.map_uri.empty() && g.map_uri != e.init_uri &&
        std::none_of(entries.begin(), entries.end(), [&](const auto& x) { return x.map_uri == g.map_uri; })) {
      if (auto s = e.segments.find(g.map_uri); s != e.segments.end() && s->second.expires == TimePoint::max()) {
        s->second.expires = now + keep;
        added.evicted.push_back(g.map_uri);
      }
    }
  }
  auto text = e.playlist.render();
  e.snapshot = std::make_shared<const PlaylistSnapshot>(
      PlaylistSnapshot{e.playlist, std::make_shared<const Bytes>(text.begin(), text.end())});
  added.snapshot = e.snapshot;
  return added;
}

bool Library::close(const hub::StreamKey& key, std::uint64_t publish) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.publish != publish) return false;
  it->second.publish = 0;
  it->second.offline_until = clock_() + ticks(target(it->second) * kOfflineTargets);
  return true;
}

bool Library::holds(const hub::StreamKey& key) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  sweep(now);
  const auto it = entries_.find(key);
  return it != entries_.end() && it->second.offline_until > now;
}

std::shared_ptr<const PlaylistSnapshot> Library::playlist(const hub::StreamKey& key) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  sweep(now);
  auto it = entries_.find(key);
  return it == entries_.end() || it->second.offline_until <= now ? nullptr : it->second.snapshot;
}

bool Library::starting(const hub::StreamKey& key) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  return it != entries_.end() && it->second.offline_until == TimePoint::max() && !it->second.snapshot;
}

std::shared_ptr<const Bytes> Library::segment(const hub::StreamKey& key, std::string_view uri) {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  sweep(now);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.offline_until <= now) return nullptr;
  auto s = it->second.segments.find(std::string(uri));
  return s == it->second.segments.end() || s->second.expires <= now ? nullptr : s->second.data;
}

std::chrono::milliseconds Library::note_player(const hub::StreamKey& key, std::string_view client) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return {};
  Entry& e = it->second;
  const auto now = clock_();
  const std::uint64_t id = std::hash<std::string_view>{}(client);
  if (const auto known = e.players.find(id); known != e.players.end()) {
    const auto gap = now - known->second;
    known->second = now;
    return gap <= ticks(target(e) * kPlayerTargets) ? std::chrono::duration_cast<std::chrono::milliseconds>(gap)
                                                    : std::chrono::milliseconds{};
  }
  const auto full = [&] { return e.players.size() >= kMaxPlayersPerStream || players_total_ >= kMaxPlayers; };
  // Stale clients go in batches as the map doubles; when full, at most once a second.
  if (e.players.size() >= e.players_prune_at || (full() && now - e.players_pruned >= ticks(1s)))
    prune_players(e, now);
  if (full()) return {};
  e.players.emplace(id, now);
  ++players_total_;
  return {};
}

void Library::prune_players(Entry& e, TimePoint now) {
  const auto since = now - ticks(target(e) * kPlayerTargets);
  players_total_ -= std::erase_if(e.players, [&](const auto& p) { return p.second < since; });
  e.players_prune_at = std::max<std::size_t>(64, e.players.size() * 2);
  e.players_pruned = now;
}

std::size_t Library::players(const hub::StreamKey& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  const auto since = clock_() - ticks(target(it->second) * kPlayerTargets);
  return static_cast<std::size_t>(std::count_if(it->second.players.begin(), it->second.players.end(),
                                                [&](const auto& p) { return p.second >= since; }));
}

void Library::sweep(TimePoint now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + ticks(500ms);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.offline_until <= now) {
      players_total_ -= it->second.players.size();
      it = entries_.erase(it);
      continue;
    }
    std::erase_if(it->second.segments, [&](const auto& s) { return s.second.expires <= now; });
    ++it;
  }
}

}  // namespace liveorigin::hls
