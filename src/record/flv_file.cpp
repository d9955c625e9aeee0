// FLV recording: the publisher's tags appended as they are, with timestamps rebased per file.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "landing.hpp"
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
  fs::rename(part_path, final_path);
  LandedFile out;
  out.duration_s = (*last - *first) / 1000.0;
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
