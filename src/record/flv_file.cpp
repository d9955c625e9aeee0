// FLV recording: the publisher's tags appended as they are, with timestamps rebased per file.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "landing.hpp"
#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/amf0.hpp"
#include "liveorigin/media/flv.hpp"
#include "liveorigin/record/file_splitter.hpp"
#include "liveorigin/record/media_file.hpp"

namespace liveorigin::record {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kWriteBuffer = 256 * 1024;
// AMF0 values read from the onMetaData being patched at landing (see MetadataPatch).
constexpr std::size_t kMetadataValues = 4096;

class FlvFileWriter : public MediaFileWriter {
 public:
  FlvFileWriter(const std::string& path, const FileStart& start) : path_(path) {
    file_ = std::fopen(path.c_str(), "wbx");  // x: never overwrite a file
    if (!file_) throw RecordError("cannot create " + path + ": " + std::strerror(errno));
    std::setvbuf(file_, nullptr, _IOFBF, kWriteBuffer);
    // A track not seen yet is announced anyway, as HTTP-FLV does for unknown streams.
    const bool unknown = !start.has_audio && !start.has_video;
    put(media::flv_file_header(unknown || start.has_audio, unknown || start.has_video));
    for (const auto& p : {start.metadata, start.video_header, start.audio_header}) {
      if (p) write(*p, 0);
    }
    for (const auto& p : start.other_configs) write(*p, 0);
  }
  ~FlvFileWriter() override {
    if (file_) std::fclose(file_);
  }

  void write(const media::Packet& p, std::uint32_t ts) override {
    if (p.flv_tag.size() < 15) return;
    std::uint8_t header[11];
    restamp_tag_header(p, ts, header);
    put(ByteView(header, 11));
    put(ByteView(p.flv_tag).subspan(11));
  }

  void flush() override {
    if (std::fflush(file_) != 0) throw RecordError("cannot write " + path_ + ": " + std::strerror(errno));
  }

  void finish() override {
    flush();
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) throw RecordError("cannot close " + path_ + ": " + std::strerror(errno));
  }

  std::uint64_t bytes_written() const override { return bytes_; }

 private:
  void put(ByteView bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
      throw RecordError("cannot write " + path_ + ": " + std::strerror(errno));
    bytes_ += bytes.size();
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  std::uint64_t bytes_ = 0;
};

// The publisher's onMetaData describes its whole stream: a file of a split, or cut by a crash,
// would claim the wrong length to players. Landing writes the file's own values in place, over
// the numbers already there (so nothing else in the file moves).
class MetadataPatch {
 public:
  // Called with the first data tag of the file, found at `body_offset`. Walks the AMF0 entries of
  // onMetaData's object or ECMA array and notes where the numbers of duration and filesize sit.
  void find(ByteView body, std::uint64_t body_offset) {
    namespace amf0 = media::amf0;
    try {
      // The publisher's bytes: a small budget of values for all of it (real onMetaData holds tens),
      // so a megabyte of nulls does not decode into a hundred.
      amf0::Budget budget{.values_left = kMetadataValues};
      ByteReader r(body);
      if (amf0::decode(r, budget).as_string() != "onMetaData") return;
      const auto marker = static_cast<amf0::Marker>(r.u8());
      if (marker == amf0::Marker::ecma_array) {
        r.u32be();  // a count hint; the end marker ends it
      } else if (marker != amf0::Marker::object) {
        return;
      }
      while (r.remaining() >= 3) {
        const std::string key = r.string(r.u16be());
        const std::size_t at = r.position();
        if (key.empty() && body[at] == static_cast<std::uint8_t>(amf0::Marker::object_end)) return;
        const auto value = amf0::decode(r, budget);
        if (!value.is_number()) continue;
        if (key == "duration") duration_ = body_offset + at + 1;  // after the number marker
        if (key == "filesize") filesize_ = body_offset + at + 1;
      }
    } catch (const ParseError&) {
      // Unreadable metadata is left as the publisher sent it.
    }
  }

  void apply(const std::string& path, double duration_s, std::uint64_t size) const {
    if (!duration_ && !filesize_) return;
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    put(file, duration_, duration_s);
    put(file, filesize_, static_cast<double>(size));
    if (!file) throw RecordError("cannot update the metadata of " + path);
  }

 private:
  static void put(std::fstream& file, std::optional<std::uint64_t> offset, double value) {
    if (!offset) return;
    Bytes be;
    ByteWriter(be).f64be(value);
    file.seekp(static_cast<std::streamoff>(*offset));
    file.write(reinterpret_cast<const char*>(be.data()), static_cast<std::streamsize>(be.size()));
  }

  std::optional<std::uint64_t> duration_, filesize_;
};

}  // namespace

std::unique_ptr<MediaFileWriter> open_flv_writer(const std::string& path, const FileStart& start) {
  return std::make_unique<FlvFileWriter>(path, start);
}

// Scans the tags: the file ends after the last whole tag (a crash may cut the last one, or leave
// garbage), and its duration is the span of its media timestamps.
std::optional<LandedFile> land_flv(const std::string& part_path, const std::string& final_path,
                                   std::optional<double> known_duration_s) {
  std::ifstream in(part_path, std::ios::binary);
  if (!in) throw RecordError("cannot open " + part_path);
  media::FlvReader reader;
  std::vector<char> chunk(1 << 20);
  std::uint64_t good_end = 0, bytes_read = 0;
  std::optional<std::uint32_t> first, last;
  MetadataPatch metadata;
  bool data_seen = false;
  try {
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      if (n == 0) break;
      bytes_read += n;
      reader.feed(ByteView(reinterpret_cast<const std::uint8_t*>(chunk.data()), n));
      while (auto tag = reader.next()) {
        if (tag->type != media::MediaType::data) {
          if (!first) first = tag->timestamp;
          last = std::max(last.value_or(0), tag->timestamp);
        } else if (!data_seen) {
          data_seen = true;
          metadata.find(tag->body, reader.consumed() - 4 - tag->body.size());  // before PreviousTagSize
        }
        good_end = reader.consumed();
      }
    }
  } catch (const ParseError& e) {
    spdlog::warn("record: {}: {} after byte {}; cutting there", part_path, e.what(), good_end);
  }
  in.close();
  std::error_code ec;
  if (!first) {
    fs::remove(part_path, ec);
    return std::nullopt;
  }
  if (fs::file_size(part_path) != good_end) fs::resize_file(part_path, good_end);
  LandedFile out;
  out.duration_s = (*last - *first) / 1000.0;
  metadata.apply(part_path, known_duration_s.value_or(out.duration_s), good_end);
  fs::rename(part_path, final_path);
  out.size = good_end;
  out.bytes_read = bytes_read;
  return out;
}

std::optional<LandedFile> land_file(const std::string& part_path, const std::string& final_path,
                                    Format format, std::optional<double> known_duration_s) {
  try {
    if (format == Format::hls) {
      std::error_code ec;
      if (fs::symlink_status(part_path, ec).type() != fs::file_type::directory)
        throw RecordError(part_path + " is not a folder; left alone");
      return land_hls(part_path, final_path);
    }
    // Read, truncated and patched in place: only a file the recorder made, never through a link.
    if (!is_plain_file(part_path)) throw RecordError(part_path + " is not a regular file; left alone");
    return format == Format::flv ? land_flv(part_path, final_path, known_duration_s)
                                 : land_mp4(part_path, final_path);
  } catch (const fs::filesystem_error& e) {
    throw RecordError(e.what());
  }
}

}  // namespace liveorigin::record
