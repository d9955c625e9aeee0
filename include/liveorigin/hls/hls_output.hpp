// One publish's HLS output: a hub::Subscriber attached to the stream (fed on its loop) that runs
// the segmenter and hands each finished segment to the library and, with hls.path, to the disk.
#pragma once

#include <deque>
#include <memory>
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

class HlsOutput : public hub::Subscriber {
 public:
  // disk may be null when path is empty.
  HlsOutput(hub::StreamKey key, OutputOptions options, Library& library, DiskWriter* disk,
            std::string context);

  void on_packet(const media::PacketPtr& packet) override;
  void on_stream_end() override;

 private:
  void on_segment(Segment segment);
  std::filesystem::path directory() const { return std::filesystem::path(options_.path) / key_.app; }
  std::filesystem::path playlist_file() const { return directory() / (key_.name + ".m3u8"); }

  hub::StreamKey key_;
  OutputOptions options_;
  Library& library_;
  DiskWriter* disk_;
  std::string context_;
  bool continues_;  // this publish continues the stream's held playlist
  std::uint64_t publish_;
  Segmenter segmenter_;
  std::deque<std::string> evicted_;  // on disk, removed a window after leaving the playlist
  bool ended_ = false;
};

}  // namespace liveorigin::hls
