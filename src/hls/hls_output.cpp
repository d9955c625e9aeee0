#include "liveorigin/hls/hls_output.hpp"

#include <chrono>
#include <vector>

#include <spdlog/spdlog.h>

#include "liveorigin/media/codec_info.hpp"
#include "liveorigin/media/tag.hpp"

namespace liveorigin::hls {

namespace {

// The enhanced audio packet type of a track's packet kind; nullopt for kinds no segmenter uses.
std::optional<std::uint8_t> audio_packet_type(media::TagPacket packet) {
  switch (packet) {
    case media::TagPacket::sequence_start: return 0;
    case media::TagPacket::coded_frames: return 1;
    case media::TagPacket::sequence_end: return 2;
    default: return std::nullopt;
  }
}

// One track of a multitrack audio tag as a single-track enhanced tag of its own, so its segmenter
// sees an ordinary stream.
media::PacketPtr single_track_packet(std::uint32_t timestamp, const media::TagTrack& track, std::uint8_t type) {
  Bytes body;
  body.reserve(5 + track.payload.size());
  ByteWriter w(body);
  w.u8(static_cast<std::uint8_t>(0x90 | type));
  w.u32be(track.fourcc);
  w.bytes(track.payload);
  return media::make_packet(media::MediaType::audio, timestamp, body);
}

}  // namespace

MediaPlaylistOutput::MediaPlaylistOutput(const hub::StreamKey& stream, int rendition_track,
                                         const OutputOptions& options, Library& library, DiskWriter* disk,
                                         std::string context)
    : key_(rendition_track < 0 ? stream : Library::rendition_key(stream, rendition_track)), options_(options),
      library_(library), disk_(options_.path.empty() ? nullptr : disk), context_(std::move(context)),
      continues_(library_.holds(key_)),
      publish_(rendition_track < 0 ? library_.open(key_, options_.window, options_.fragment)
                                   : library_.open_rendition(stream, rendition_track, options_.window,
                                                             options_.fragment)),
      segmenter_(options_.fragment, context_, [this](Segment s) { on_segment(std::move(s)); },
                 [] { return std::chrono::steady_clock::now(); }, options_.format) {
  if (rendition_track >= 0) segmenter_.follow_cuts();
  if (disk_) disk_->keep(key_.str(), continues_);
}

std::filesystem::path MediaPlaylistOutput::directory() const {
  // APP/ for a stream, APP/STREAM/ for its renditions (their key's name is STREAM/audioN).
  return (std::filesystem::path(options_.path) / key_.app / key_.name).parent_path();
}

std::filesystem::path MediaPlaylistOutput::playlist_file() const {
  return directory() / (std::filesystem::path(key_.name).filename().string() + ".m3u8");
}

void MediaPlaylistOutput::cut_next(std::uint64_t sequence) {
  if (!first_sequence_) first_sequence_ = sequence;
  segmenter_.cut_next();
}

void MediaPlaylistOutput::end() {
  segmenter_.finish();
  if (!library_.close(key_, publish_) || !disk_) return;
  // On disk (a CDN or nginx serving hls.path): the playlist says the stream ended, and its files
  // go once the memory copy would be gone too (the offline hold, then a window for players still
  // fetching), unless the stream publishes again before.
  const auto dir = directory();
  std::vector<std::filesystem::path> left, listed;  // segments that left the playlist, or are in it
  for (const auto& name : evicted_) left.push_back(dir / name);
  double target = options_.fragment;
  if (const auto snapshot = library_.playlist(key_)) {
    std::string map;
    for (const auto& entry : snapshot->playlist.entries()) {
      listed.push_back(dir / entry.uri);
      if (!entry.map_uri.empty() && entry.map_uri != map) listed.push_back(dir / (map = entry.map_uri));
    }
    target = snapshot->playlist.target_duration();
    const auto text = snapshot->playlist.render() + "#EXT-X-ENDLIST\n";
    disk_->write(playlist_file(), std::make_shared<const Bytes>(text.begin(), text.end()));
  }
  const auto now = std::chrono::steady_clock::now();
  const auto after = [&](double targets) {
    return now + std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(target * targets));
  };
  // Segments that left the playlist go a window later whatever happens next (group "" is never
  // kept); the listed ones and the playlist after the offline hold too, unless a republish keeps them.
  disk_->expire("", std::move(left), std::nullopt, after(options_.window));
  disk_->expire(key_.str(), std::move(listed), playlist_file(), after(Library::kOfflineTargets + options_.window));
}

void MediaPlaylistOutput::on_segment(Segment segment) {
  const auto size = segment.data->size();
  tracks_ = segment.tracks;
  auto added = library_.add_segment(key_, publish_, segment.duration, segment.data, segment.init, first_sequence_);
  if (added.uri.empty()) return;  // a newer publish of this stream took over
  const auto latency = std::chrono::steady_clock::now() - segment.closed_at;
  spdlog::debug("{}: hls: {} ({:.3f} s, {} KiB) in the playlist {} us after its closing frame",
                context_, added.uri, segment.duration, size / 1024,
                std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
  if (!disk_) return;
  const auto dir = directory();
  if (!added.init_uri.empty()) disk_->write(dir / added.init_uri, std::move(segment.init));
  disk_->write(dir / added.uri, std::move(segment.data));
  disk_->write(playlist_file(), added.snapshot->text);
  for (auto& name : added.evicted) evicted_.push_back(std::move(name));
  while (evicted_.size() > static_cast<std::size_t>(options_.window)) {
    disk_->remove(dir / evicted_.front());
    evicted_.pop_front();
  }
}

HlsOutput::HlsOutput(hub::StreamKey key, OutputOptions options, Library& library, DiskWriter* disk,
                     std::string context)
    : key_(std::move(key)), options_(std::move(options)), library_(library),
      disk_(options_.path.empty() ? nullptr : disk), context_(std::move(context)),
      main_(key_, -1, options_, library_, disk_, context_) {}

void HlsOutput::on_packet(const media::PacketPtr& packet) {
  if (ended_) return;
  const auto& p = *packet;
  if (p.is_video() && p.sequence_header && p.track_id == 0) {
    if (const auto info = media::parse_video_sequence_header(p)) {
      width_ = info->width;
      height_ = info->height;
    }
  }
  if (p.is_audio() && p.multitrack) {
    push_audio_tracks(p);
  } else {
    main_.push(p);
  }
  after_main_push();
}

void HlsOutput::push_audio_tracks(const media::Packet& packet) {
  // Track 0 goes to the stream's own playlist, each other track to its rendition.
  media::for_each_audio_track(packet.body(), [&](const media::TagTrack& track) {
    const auto type = audio_packet_type(track.packet);
    if (!type) return true;
    auto* out = track.track_id == 0 ? &main_ : rendition(track.track_id);
    if (out) out->push(*single_track_packet(packet.timestamp, track, *type));
    return true;
  });
}

MediaPlaylistOutput* HlsOutput::rendition(int track_id) {
  if (const auto it = renditions_.find(track_id); it != renditions_.end()) return it->second.get();
  if (renditions_.size() >= kMaxRenditions) {
    if (!warned_renditions_) {
      warned_renditions_ = true;
      spdlog::warn("{}: hls: more than {} audio tracks; track {} and later ones get no rendition", context_,
                   kMaxRenditions, track_id);
    }
    return nullptr;
  }
  // This publish writes the multivariant playlist on disk from now on: an earlier publish's expiry
  // must not remove it (one without renditions lets it go).
  if (renditions_.empty() && disk_) disk_->keep(key_.str() + "/master", false);
  auto out = std::make_unique<MediaPlaylistOutput>(key_, track_id, options_, library_, disk_,
                                                   context_ + " audio " + std::to_string(track_id));
  spdlog::info("{}: hls: audio track {} as a rendition (audio{}.m3u8 in the multivariant playlist)", context_,
               track_id, track_id);
  return renditions_.emplace(track_id, std::move(out)).first->second.get();
}

void HlsOutput::after_main_push() {
  const auto opened = main_.segmenter().opened();
  if (opened == main_opened_) return;
  // The stream's playlist cut (or opened its first segment): the renditions cut at the same time,
  // and the segment they open has the same sequence number.
  main_opened_ = opened;
  const auto sequence = library_.next_sequence(key_);
  for (auto& [id, r] : renditions_) r->cut_next(sequence);
  const bool has_audio = main_.tracks().audio != media::Codec::none;
  library_.describe(key_, main_.publish(), width_, height_, has_audio);
  // On disk only for streams with renditions: the others keep no directory of their own.
  if (!disk_ || renditions_.empty()) return;
  if (auto text = library_.multivariant(key_); text && *text != master_text_) {
    master_text_ = std::move(*text);
    disk_->write(master_file(), std::make_shared<const Bytes>(master_text_.begin(), master_text_.end()));
  }
}

void HlsOutput::on_stream_end() {
  if (ended_) return;
  ended_ = true;
  main_.end();
  for (auto& [id, r] : renditions_) r->end();
  if (!disk_ || master_text_.empty()) return;
  // As the media playlists (their target duration may be longer); then the directory, once empty.
  const auto at = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(
                      options_.fragment * (Library::kOfflineTargets + options_.window)));
  disk_->expire(key_.str() + "/master", {}, master_file(), at);
  disk_->expire("", {master_file().parent_path()}, std::nullopt, at + std::chrono::seconds(60));
}

}  // namespace liveorigin::hls
