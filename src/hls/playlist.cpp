#include "liveorigin/hls/playlist.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace liveorigin::hls {

int target_seconds(double seconds) { return std::max(1, static_cast<int>(std::lround(seconds))); }

Playlist::Playlist(int window, double fragment)
    : window_(static_cast<std::size_t>(std::max(window, 1))), target_(target_seconds(fragment)) {}

std::vector<PlaylistEntry> Playlist::add(double duration, std::string uri, std::string map_uri, std::size_t bytes) {
  PlaylistEntry e{next_sequence_++, duration, pending_discontinuity_, std::move(uri), std::move(map_uri), bytes};
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

void Playlist::start_at(std::uint64_t sequence) {
  if (next_sequence_ == 0 && entries_.empty()) next_sequence_ = sequence;
}

std::uint64_t Playlist::peak_bandwidth() const {
  double peak = 0;
  for (const auto& e : entries_) {
    if (e.duration > 0) peak = std::max(peak, static_cast<double>(e.bytes) * 8 / e.duration);
  }
  return static_cast<std::uint64_t>(std::ceil(peak));
}

void Playlist::mark_discontinuity() {
  if (next_sequence_ > 0) pending_discontinuity_ = true;
}

namespace {

void append_uri(std::string& out, std::string_view uri, std::string_view query) {
  out += uri;
  if (!query.empty()) {
    out += '?';
    out += query;
  }
}

}  // namespace

std::string render_multivariant(const Variant& variant, const std::vector<AudioRendition>& renditions,
                                std::string_view uri_query) {
  std::string out = "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  const bool group = !renditions.empty();
  std::uint64_t bandwidth = variant.bandwidth, widest = 0;
  if (group) {
    // Without a default track of its own in the variant, the first rendition is the default.
    bool default_given = false;
    const auto media = [&](int track_id, std::string_view uri) {
      out += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Track ";
      out += std::to_string(track_id);
      out += default_given ? "\",DEFAULT=NO,AUTOSELECT=YES" : "\",DEFAULT=YES,AUTOSELECT=YES";
      default_given = true;
      if (!uri.empty()) {
        out += ",URI=\"";
        append_uri(out, uri, uri_query);
        out += '"';
      }
      out += '\n';
    };
    if (variant.has_audio) media(0, {});
    for (const auto& r : renditions) {
      media(r.track_id, r.uri);
      widest = std::max(widest, r.bandwidth);
    }
  }
  // The variant's peak with the widest rendition a player may choose on top (RFC 8216bis 4.4.6.2).
  out += "#EXT-X-STREAM-INF:BANDWIDTH=";
  out += std::to_string(std::max<std::uint64_t>(bandwidth + widest, 1));
  if (variant.width > 0 && variant.height > 0) {
    out += ",RESOLUTION=";
    out += std::to_string(variant.width) + "x" + std::to_string(variant.height);
  }
  if (group) out += ",AUDIO=\"audio\"";
  out += '\n';
  append_uri(out, variant.uri, uri_query);
  out += '\n';
  return out;
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
