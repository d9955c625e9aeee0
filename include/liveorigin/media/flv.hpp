// FLV file-level framing: the 13-byte file header that starts every HTTP-FLV response and
// recording, and an incremental reader that splits an FLV byte stream back into tags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::media {

// "FLV", version 1, audio/video flags, header size 9, then PreviousTagSize0 = 0: 13 bytes.
Bytes flv_file_header(bool has_audio, bool has_video);

struct FlvHeader {
  bool has_audio = false;
  bool has_video = false;
};

struct FlvTag {
  MediaType type = MediaType::data;
  std::uint32_t timestamp = 0;  // ms, with the extended (high) byte applied
  ByteView body;                // the tag body, as make_packet takes it
};

// Incremental FLV reader for files and HTTP-FLV streams. Feed bytes as they arrive, in pieces of
// any size; next() hands out each complete tag (header, body and its PreviousTagSize) once.
// Throws ParseError on a bad file header, an unknown tag type or a tag larger than max_tag_size:
// after that the stream is unusable and the reader should be dropped.
class FlvReader {
 public:
  // The 24-bit size field cannot exceed 16 MiB, so the default never triggers; callers reading
  // untrusted streams pass a smaller limit to bound what one tag may make the reader buffer.
  static constexpr std::uint32_t kMaxTagSize = 64u << 20;

  // expect_file_header = false reads a bare tag stream (tags without the 13-byte file header).
  explicit FlvReader(bool expect_file_header = true, std::uint32_t max_tag_size = kMaxTagSize);

  // Appends bytes. Invalidates the body views of tags returned so far.
  void feed(ByteView data);

  // The next complete tag, or nullopt until more bytes arrive. The body view points into the
  // reader and stays valid until the next feed() (further next() calls do not move it).
  std::optional<FlvTag> next();

  // The file header, once its bytes have been read (by next()).
  const std::optional<FlvHeader>& header() const { return header_; }

  // Stream offset just past the last complete tag handed out (or past the file header): where a
  // recovered recording can be truncated so that it ends on a whole tag.
  std::uint64_t consumed() const { return consumed_; }

  // Bytes fed but not yet handed out as tags (a partial tag, or one not yet asked for).
  std::size_t buffered() const { return buffer_.size() - pos_; }

 private:
  bool read_file_header();

  Bytes buffer_;
  std::size_t pos_ = 0;            // start of unread bytes in buffer_
  std::uint64_t consumed_ = 0;     // stream offset of pos_
  bool need_file_header_;
  std::uint32_t max_tag_size_;
  std::optional<FlvHeader> header_;
};

}  // namespace liveorigin::media
