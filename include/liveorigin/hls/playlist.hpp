// A live HLS media playlist: a sliding window of segments with their sequence numbers, target
// duration and discontinuities. A value type: the library copies it into each immutable snapshot.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace liveorigin::hls {

struct PlaylistEntry {
  std::uint64_t sequence = 0;
  double duration = 0;  // seconds
  bool discontinuity = false;
  std::string uri;      // relative to the playlist
  std::string map_uri;  // fMP4: its init segment (#EXT-X-MAP); empty for MPEG-TS
  std::size_t bytes = 0;
};

class Playlist {
 public:
  Playlist(int window, double fragment);

  // Appends a segment (its sequence number is the next one); returns the entries that slid out.
  std::vector<PlaylistEntry> add(double duration, std::string uri, std::string map_uri = {}, std::size_t bytes = 0);
  // An audio rendition that starts late numbers its first segment as the main playlist's segment of
  // the same time, so players line them up; only before its first segment.
  void start_at(std::uint64_t sequence);
  // The next segment starts a new publish (timestamps restart): #EXT-X-DISCONTINUITY before it.
  void mark_discontinuity();

  // The m3u8 text. uri_query (without '?') is appended to every segment URI when not empty, so
  // a signed or session-tagged playlist URL carries its query to its segments.
  std::string render(std::string_view uri_query = {}) const;

  // A recording's playlist (make it with a window that holds every segment): typed VOD, with
  // #EXT-X-ENDLIST once the recording has ended.
  std::string render_vod(bool ended) const;

  std::uint64_t next_sequence() const { return next_sequence_; }
  int target_duration() const { return target_; }
  const std::deque<PlaylistEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // The highest bit rate of a listed segment (bits per second): a variant's BANDWIDTH.
  std::uint64_t peak_bandwidth() const;

 private:
  std::size_t window_;
  // Never lowered. Raised only by a segment longer than it (key frames further apart than
  // hls.fragment), which the caller logs: a segment cannot be cut between key frames.
  int target_;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t discontinuity_sequence_ = 0;
  bool pending_discontinuity_ = false;
  std::deque<PlaylistEntry> entries_;
};

// An audio rendition of a multivariant playlist: another audio track of a multitrack stream.
struct AudioRendition {
  int track_id = 0;
  std::string uri;  // its media playlist, relative to the multivariant playlist; empty: in the variant
  std::uint64_t bandwidth = 0;
};

// The multivariant playlist of a stream (RFC 8216bis 4.4.6): one variant, its media playlist at
// variant_uri with the default audio in it (a rendition without URI, DEFAULT=YES) when has_audio,
// the other audio tracks as EXT-X-MEDIA renditions of GROUP-ID "audio".
struct Variant {
  std::string uri;
  std::uint64_t bandwidth = 0;
  int width = 0, height = 0;
  bool has_audio = false;
};
std::string render_multivariant(const Variant& variant, const std::vector<AudioRendition>& renditions,
                                std::string_view uri_query = {});

// The target duration a segment needs: its duration rounded to the nearest second, at least 1
// (RFC 8216 section 4.3.3.1). A 2.002 s segment of a 29.97 fps encoder is 2, not 3: players start
// a few target durations behind live, so rounding up would add seconds of latency.
int target_seconds(double seconds);

}  // namespace liveorigin::hls
