// HLS recordings: the live HLS segmenter and TS muxer (src/hls) cut the session into MPEG-TS
// segments in a folder of their own; after each segment the VOD playlist is rewritten atomically,
// so a crash leaves a playlist of every whole segment written, which landing ends with
// #EXT-X-ENDLIST.
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "landing.hpp"
#include "liveorigin/hls/disk_writer.hpp"
#include "liveorigin/hls/playlist.hpp"
#include "liveorigin/hls/segmenter.hpp"

namespace liveorigin::record {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kEndList = "#EXT-X-ENDLIST";

void write_or_throw(const fs::path& file, const Bytes& data) {
  if (auto error = hls::write_file_atomically(file, data); !error.empty()) throw RecordError(error);
}

class HlsFileWriter final : public MediaFileWriter {
 public:
  HlsFileWriter(const std::string& dir, const FileStart& start, double fragment_s, const std::string& log_context)
      : dir_(dir), playlist_(INT_MAX, fragment_s),
        segmenter_(fragment_s, log_context, [this](hls::Segment segment) { on_segment(std::move(segment)); }) {
    // A folder of our own: never one that is already there (or a link planted at the name).
    std::error_code ec;
    if (!fs::create_directory(dir_, ec) || ec) {
      throw RecordError("cannot create the folder " + dir + ": " + (ec ? ec.message() : "it exists"));
    }
    for (const auto& packet : {start.metadata, start.video_header, start.audio_header}) {
      if (packet) segmenter_.push(*packet);
    }
  }

  void write(const media::Packet& packet, std::uint32_t) override { segmenter_.push(packet); }
  void flush() override {}  // each segment and the playlist are written whole when a segment ends
  void finish() override {
    segmenter_.finish();
    write_playlist(true);
  }
  std::uint64_t bytes_written() const override { return bytes_; }

 private:
  void on_segment(hls::Segment segment) {
    char name[32];
    std::snprintf(name, sizeof name, "%05llu.ts", static_cast<unsigned long long>(playlist_.next_sequence()));
    write_or_throw(dir_ / name, *segment.data);
    bytes_ += segment.data->size();
    playlist_.add(segment.duration, name);
    write_playlist(false);
  }

  void write_playlist(bool ended) {
    const auto text = playlist_.render_vod(ended);
    write_or_throw(dir_ / kHlsPlaylist, Bytes(text.begin(), text.end()));
  }

  fs::path dir_;
  hls::Playlist playlist_;
  hls::Segmenter segmenter_;
  std::uint64_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<MediaFileWriter> open_hls_writer(const std::string& dir, const FileStart& start, double fragment_s,
                                                 const std::string& log_context) {
  return std::make_unique<HlsFileWriter>(dir, start, fragment_s, log_context);
}

std::optional<LandedFile> land_hls(const std::string& part_dir, const std::string& final_dir) {
  const fs::path dir(part_dir);
  const fs::path playlist = dir / kHlsPlaylist;
  std::string text;
  if (is_plain_file(playlist.string())) {
    std::ifstream in(playlist);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  // The playlist lists whole segments only; what it does not list (a segment written just before
  // a crash, a temp file) goes.
  std::set<std::string> listed;
  double duration = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("#EXTINF:", 0) == 0) duration += std::atof(line.c_str() + 8);
    if (!line.empty() && line[0] != '#') listed.insert(line);
  }
  std::error_code ec;
  if (listed.empty()) {
    fs::remove_all(dir, ec);
    return std::nullopt;
  }
  LandedFile out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name == kHlsPlaylist) continue;
    if (!listed.contains(name) || !entry.is_regular_file() || entry.is_symlink()) {
      fs::remove_all(entry.path(), ec);
      continue;
    }
    out.size += entry.file_size();
  }
  if (text.find(kEndList) == std::string::npos) {  // left by a crash: the recording ends here
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += std::string(kEndList) + "\n";
    write_or_throw(playlist, Bytes(text.begin(), text.end()));
  }
  out.size += text.size();
  out.duration_s = duration;
  fs::rename(dir, final_dir);
  return out;
}

}  // namespace liveorigin::record
