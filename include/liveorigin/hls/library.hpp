// The HLS state of every stream, shared by the segmenters (on the publishers' shards) and the
// HTTP sessions (on any shard). Thread-safe; readers get immutable snapshots and segments as
// shared buffers, so serving a player copies nothing and never waits for a muxer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/hls/playlist.hpp"
#include "liveorigin/hub/stream.hpp"

namespace liveorigin::hls {

struct PlaylistSnapshot {
  Playlist playlist;
  std::shared_ptr<const Bytes> text;  // playlist.render() with no query, served as it is
};

class Library {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // An offline stream's playlist stays served this many target durations (a quick republish
  // continues it); players count while they fetched the playlist within as many.
  static constexpr int kOfflineTargets = 3;
  static constexpr int kPlayerTargets = 3;

  explicit Library(Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Segmenter side. A publish begins: the stream's playlist continues (with a discontinuity)
  // when it is still held, else a new one starts. Returns an id for this publish.
  std::uint64_t open(const hub::StreamKey& key, int window, double fragment);
  // The same for the media playlist of audio track `track_id` of the stream `main`, an audio
  // rendition of its multivariant playlist: kept under rendition_key(main, track_id), its
  // segments named audioN-ID-SEQ beside its playlist (APP/STREAM/audioN.m3u8).
  std::uint64_t open_rendition(const hub::StreamKey& main, int track_id, int window, double fragment);
  static hub::StreamKey rendition_key(const hub::StreamKey& main, int track_id);
  // The sequence number the stream's next segment gets (0 when unknown).
  std::uint64_t next_sequence(const hub::StreamKey& key);
  // What the multivariant playlist says of the stream's own media playlist (its picture size and
  // whether it carries audio); set by the main output as it learns it.
  void describe(const hub::StreamKey& key, std::uint64_t publish, int width, int height, bool has_audio);
  // Whether a publish beginning now would continue the stream's playlist.
  bool holds(const hub::StreamKey& key);

  struct Added {
    std::string uri;                                 // the new segment's name
    std::string init_uri;                            // fMP4: a new init segment's name (empty if unchanged)
    std::shared_ptr<const PlaylistSnapshot> snapshot;
    std::vector<std::string> evicted;                // names that just left the playlist
  };
  // Publishes a finished segment and the playlist that lists it. Nothing happens (empty uri)
  // when `publish` is no longer the stream's current publish. With `init` (fMP4) the segment is a
  // fragment of that init segment: a new init is listed (#EXT-X-MAP) and served as well.
  // `sequence`, when set, numbers a rendition's first segment as the main playlist's of that time.
  Added add_segment(const hub::StreamKey& key, std::uint64_t publish, double duration,
                    std::shared_ptr<const Bytes> data, std::shared_ptr<const Bytes> init = nullptr,
                    std::optional<std::uint64_t> sequence = std::nullopt);
  // The publish ended: the playlist stays served kOfflineTargets target durations. False (and
  // nothing changes) when a newer publish of the stream has taken over.
  bool close(const hub::StreamKey& key, std::uint64_t publish);

  // HTTP side. nullptr when the stream is unknown, expired or has no segment yet.
  std::shared_ptr<const PlaylistSnapshot> playlist(const hub::StreamKey& key);
  // The multivariant playlist (APP/STREAM/master.m3u8): the stream's playlist as its one variant,
  // the audio renditions that have segments; uri_query as for Playlist::render. nullopt when the
  // stream has no playlist.
  std::optional<std::string> multivariant(const hub::StreamKey& key, std::string_view uri_query = {});
  // Publishing, but its first segment is not finished yet (the first fragment of a stream).
  bool starting(const hub::StreamKey& key);
  // A listed segment, or one that left the playlist less than a window's duration ago.
  std::shared_ptr<const Bytes> segment(const hub::StreamKey& key, std::string_view uri);

  // Counts HLS players: `client` is a session id, or address + user agent. Clients are kept as a
  // hash (their size never matters), and at most this many per stream and in all: past that, new
  // clients are not counted (the count saturates) until stale ones leave.
  static constexpr std::size_t kMaxPlayersPerStream = 10000;
  static constexpr std::size_t kMaxPlayers = 100000;
  // Returns the client's play time since its previous playlist fetch (for usage), or zero for a
  // new client or one that was away longer than kPlayerTargets target durations (a new session).
  std::chrono::milliseconds note_player(const hub::StreamKey& key, std::string_view client);
  std::size_t players(const hub::StreamKey& key);

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Held {
    std::shared_ptr<const Bytes> data;
    TimePoint expires = TimePoint::max();  // max while listed
  };
  struct Entry {
    Entry(int window, double fragment) : playlist(window, fragment) {}
    std::uint64_t publish = 0;  // 0 while offline
    std::string playlist_id;    // in segment names, so two playlists never share a URL
    std::string segment_base;   // segments are named BASE-ID-SEQ: the stream's name, or audioN
    int rendition_track = -1;   // an audio rendition's track id; -1 for a stream's own playlist
    int width = 0, height = 0;  // the stream's own playlist: as describe() said
    bool has_audio = false;
    Playlist playlist;
    std::shared_ptr<const PlaylistSnapshot> snapshot;
    std::unordered_map<std::string, Held> segments;  // init segments too
    std::shared_ptr<const Bytes> init;               // the current fMP4 init segment
    std::string init_uri;
    TimePoint offline_until = TimePoint::max();
    std::unordered_map<std::uint64_t, TimePoint> players;  // client hash → last playlist fetch
    std::size_t players_prune_at = 64;
    TimePoint players_pruned{};
  };

  std::chrono::duration<double> target(const Entry& e) const;
  void sweep(TimePoint now);  // drops expired segments and playlists; under mutex_
  void prune_players(Entry& e, TimePoint now);  // under mutex_

  Clock clock_;
  std::mutex mutex_;
  std::map<hub::StreamKey, Entry> entries_;
  std::uint64_t next_publish_ = 1;
  std::size_t players_total_ = 0;  // clients tracked over all entries
  TimePoint next_sweep_{};
};

}  // namespace liveorigin::hls
