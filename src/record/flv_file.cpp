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
#include "liveorigin/media/flv.hpp"
#include "liveorigin/record/file_splitter.hpp"
#include "liveorigin/record/media_file.hpp"

namespace liveorigin::record {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kWriteBuffer = 256 * 1024;

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

// Where the number of an onMetaData property sits in the file, if the metadata tag (`body`, at
// `body_offset`) has it. An AMF0 object / ECMA-array entry is a u16 key length, the key, then the
// number marker 0x00 and 8 bytes: found as that byte pattern, so nothing else of the tag moves.
std::optional<std::uint64_t> number_offset(ByteView body, std::uint64_t body_offset, std::string_view key) {
  std::string pattern{'\0', static_cast<char>(key.size())};
  pattern += key;
  pattern += '\0';
  const std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  const auto at = text.find(pattern);
  if (at == std::string_view::npos || at + pattern.size() + 8 > text.size()) return std::nullopt;
  return body_offset + at + pattern.size();
}

// The publisher's onMetaData describes its whole stream: a file of a split, or cut by a crash,
// would claim the wrong length to players. Landing writes the file's own values in place.
class MetadataPatch {
 public:
  // Called with the first data tag of the file.
  void find(ByteView body, std::uint64_t body_offset) {
    static constexpr std::uint8_t kOnMetaData[] = {0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a'};
    if (body.size() < sizeof kOnMetaData || !std::equal(std::begin(kOnMetaData), std::end(kOnMetaData), body.begin()))
      return;
    duration_ = number_offset(body, body_offset, "duration");
    filesize_ = number_offset(body, body_offset, "filesize");
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
std::optional<LandedFile> land_flv(const std::string& part_path, const std::string& final_path) {
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
  metadata.apply(part_path, out.duration_s, good_end);
  fs::rename(part_path, final_path);
  out.size = good_end;
  out.bytes_read = bytes_read;
  return out;
}

std::optional<LandedFile> land_file(const std::string& part_path, const std::string& final_path,
                                    Format format) {
  try {
    return format == Format::flv ? land_flv(part_path, final_path) : land_mp4(part_path, final_path);
  } catch (const fs::filesystem_error& e) {
    throw RecordError(e.what());
  }
}

}  // namespace liveorigin::record
