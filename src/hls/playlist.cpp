#include "liveorigin/hls/playlist.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace liveorigin::hls {

int target_seconds(double seconds) { return std::max(1, static_cast<int>(std::lround(seconds))); }

Playlist::Playlist(int window, double fragment)
    : window_(static_cast<std::size_t>(std::max(window, 1))), target_(target_seconds(fragment)) {}

std::vector<PlaylistEntry> Playlist::add(double duration, std::string uri, std::string map_uri) {
  PlaylistEntry e{next_sequence_++, duration, pending_discontinuity_, std::move(uri), std::move(map_uri)};
  pending_discontinuity_ = false;
  target_ = std::max(target_, target_seconds(duration));
  entries_.push_back(std::move(e));
  std::vector<PlaylistEntry> gone;
  while (entries_.size() > window_) {
    // EXT-X-DISCONTINUITY-SEQUENCE counts the discontinuity tags that slid out of the window.
    if (entries_.front().discontinuity) ++discontinuity_sequence_;
    gone.push_back(std::move(entries_.front()));
    entries_.pop_front();
  }
  return gone;
}

void Playlist::mark_discontinuity() {
  if (next_sequence_ > 0) pending_discontinuity_ = true;
}

std::string Playlist::render(std::string_view uri_query) const {
  std::string out;
  out.reserve(128 + entries_.size() * (48 + uri_query.size()));
  // fMP4 segments (#EXT-X-MAP) need version 7 (RFC 8216 section 7); MPEG-TS stays at 3.
  const bool fmp4 = std::any_of(entries_.begin(), entries_.end(), [](const auto& e) { return !e.map_uri.empty(); });
  out += fmp4 ? "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:" : "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:";
  out += std::to_string(target_);
  out += "\n#EXT-X-MEDIA-SEQUENCE:";
  out += std::to_string(entries_.empty() ? next_sequence_ : entries_.front().sequence);
  out += '\n';
  if (discontinuity_sequence_ > 0) {
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:";
    out += std::to_string(discontinuity_sequence_);
    out += '\n';
  }
  char extinf[48];
  const std::string* map = nullptr;
  for (const auto& e : entries_) {
    if (e.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
    if (!e.map_uri.empty() && (!map || *map != e.map_uri)) {
      out += "#EXT-X-MAP:URI=\"";
      out += e.map_uri;
      if (!uri_query.empty()) {
        out += '?';
        out += uri_query;
      }
      out += "\"\n";
      map = &e.map_uri;
    }
    std::snprintf(extinf, sizeof extinf, "#EXTINF:%.3f,\n", e.duration);
    out += extinf;
    out += e.uri;
    if (!uri_query.empty()) {
      out += '?';
      out += uri_query;
    }
    out += '\n';
  }
  return out;
}

std::string Playlist::render_vod(bool ended) const {
  constexpr std::string_view kVersion = "#EXT-X-VERSION:3\n";
  std::string out = render();
  out.insert(out.find(kVersion) + kVersion.size(), "#EXT-X-PLAYLIST-TYPE:VOD\n");
  if (ended) out += "#EXT-X-ENDLIST\n";
  return out;
}

}  // namespace liveorigin::hls
