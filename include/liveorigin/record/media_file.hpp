// The files a recording is written to: an FLV or fragmented-MP4 `.part` that stays playable if the
// process dies, and the landing step that turns a `.part` (finished or left by a crash) into the
// final file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "liveorigin/media/packet.hpp"
#include "liveorigin/record/recording_file.hpp"

namespace liveorigin::record {

struct RecordError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What starts every file: the latest metadata and sequence headers (any may be null), and which
// tracks the stream has shown so far.
struct FileStart {
  media::PacketPtr metadata, video_header, audio_header;
  media::PacketPtr audio_first;  // the first audio frame: MP3 has no sequence header
  bool has_audio = false, has_video = false;
  media::PacketPtr video_key;  // the key frame the file starts with: VP9's size is only there
  // Multitrack: the latest SequenceStart of every other track (FLV keeps them; MP4 the default only).
  std::vector<media::PacketPtr> other_configs;
};

class MediaFileWriter {
 public:
  virtual ~MediaFileWriter() = default;
  // A media packet or a sequence header / metadata update, stamped file_ts ms in this file.
  virtual void write(const media::Packet& packet, std::uint32_t file_ts) = 0;
  // Makes everything written so far readable by a player after a crash (page cache is enough
  // for kill -9; power loss is not covered).
  virtual void flush() = 0;
  // Completes the .part on disk. Throws RecordError.
  virtual void finish() = 0;
  virtual std::uint64_t bytes_written() const = 0;
};

// Both throw RecordError (with the path) when the file cannot be created.
std::unique_ptr<MediaFileWriter> open_flv_writer(const std::string& path, const FileStart& start);
// Only tracks libavformat can carry in MP4 (H.264, HEVC, AAC, MP3) are recorded; others are
// left out with a log line. Throws RecordError when no track is left.
std::unique_ptr<MediaFileWriter> open_mp4_writer(const std::string& path, const FileStart& start,
                                                 const std::string& log_context);

// An HLS recording: `dir` (created here) gets MPEG-TS segments of about fragment_s seconds and
// kHlsPlaylist, a VOD playlist rewritten atomically after each segment.
std::unique_ptr<MediaFileWriter> open_hls_writer(const std::string& dir, const FileStart& start, double fragment_s,
                                                 const std::string& log_context);

struct LandedFile {
  double duration_s = 0;
  std::uint64_t size = 0;
  std::uint64_t bytes_read = 0;  // input read while landing (write amplification figures)
};

// Turns part_path into final_path and removes part_path. HLS: the folder keeps the segments its
// playlist lists, the playlist gets #EXT-X-ENDLIST if a crash left it without, the folder is renamed. FLV: cut after the last whole tag
// (a no-op for a finished file), then renamed. MP4: remuxed (whatever is readable) into a regular
// MP4 with the moov in front, written beside it as FINAL.landing and renamed. nullopt when the
// part holds no media (it is removed). An FLV file's onMetaData gets its duration (known_duration_s
// when the caller knows it, e.g. up to the next file of a split; else the span of its timestamps)
// and size. Throws RecordError on I/O failure.
std::optional<LandedFile> land_file(const std::string& part_path, const std::string& final_path,
                                    Format format, std::optional<double> known_duration_s = std::nullopt);

}  // namespace liveorigin::record
