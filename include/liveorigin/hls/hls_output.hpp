// One publish's HLS output: a hub::Subscriber attached to the stream (fed on its loop) that runs
// the segmenters and hands each finished segment to the library and, with hls.path, to the disk.
// The stream's own playlist (APP/STREAM.m3u8) carries its default tracks; every other audio track
// of a multitrack stream gets a media playlist of its own (APP/STREAM/audioN.m3u8), cut where the
// stream's playlist is cut, and the multivariant playlist APP/STREAM/master.m3u8 lists them.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "liveorigin/hls/disk_writer.hpp"
#include "liveorigin/hls/library.hpp"
#include "liveorigin/hls/segmenter.hpp"
#include "liveorigin/hub/subscriber.hpp"

namespace liveorigin::hls {

struct OutputOptions {
  double fragment = 2;
  int window = 6;
  std::string path;  // empty: memory only
  Format format = Format::automatic;
};

// One media playlist of a publish: its segmenter, its library entry, its files under hls.path.
class MediaPlaylistOutput {
 public:
  // rendition_track < 0: the stream's own playlist; else that audio track's rendition.
  MediaPlaylistOutput(const hub::StreamKey& stream, int rendition_track, const OutputOptions& options,
                      Library& library, DiskWriter* disk, std::string context);

  void push(const media::Packet& packet) { segmenter_.push(packet); }
  // Rendition: the next packet opens a segment numbered `sequence` if it is the first one.
  void cut_next(std::uint64_t sequence);
  // The publish ended: the open segment is finished, the playlist held offline, files expired.
  void end();

  const Segmenter& segmenter() const { return segmenter_; }
  std::uint64_t publish() const { return publish_; }
  // The tracks of the latest segment.
  const TsTracks& tracks() const { return tracks_; }
  std::filesystem::path directory() const;  // of its files under hls.path

 private:
  void on_segment(Segment segment);
  std::filesystem::path playlist_file() const;

  hub::StreamKey key_;
  const OutputOptions& options_;
  Library& library_;
  DiskWriter* disk_;
  std::string context_;
  bool continues_;  // this publish continues the stream's held playlist
  std::uint64_t publish_;
  Segmenter segmenter_;
  std::optional<std::uint64_t> first_sequence_;
  TsTracks tracks_;
  std::deque<std::string> evicted_;  // on disk, removed a window after leaving the playlist
};

class HlsOutput : public hub::Subscriber {
 public:
  // disk may be null when path is empty.
  HlsOutput(hub::StreamKey key, OutputOptions options, Library& library, DiskWriter* disk,
            std::string context);

  // At most this many audio renditions per stream; further tracks are left out (logged once).
  static constexpr std::size_t kMaxRenditions = 8;

  void on_packet(const media::PacketPtr& packet) override;
  void on_stream_end() override;

 private:
  void push_audio_tracks(const media::Packet& packet);
  MediaPlaylistOutput* rendition(int track_id);
  void after_main_push();
  std::filesystem::path master_file() const { return main_.directory() / key_.name / "master.m3u8"; }

  hub::StreamKey key_;
  OutputOptions options_;
  Library& library_;
  DiskWriter* disk_;
  std::string context_;
  MediaPlaylistOutput main_;
  std::map<int, std::unique_ptr<MediaPlaylistOutput>> renditions_;
  std::uint64_t main_opened_ = 0;
  int width_ = 0, height_ = 0;
  std::string master_text_;  // as last written to disk
  bool warned_renditions_ = false;
  bool ended_ = false;
};

}  // namespace liveorigin::hls
