#include "liveorigin/media/flv.hpp"

namespace liveorigin::media {

namespace {

constexpr std::size_t kFileHeaderSize = 9;
constexpr std::size_t kTagHeaderSize = 11;
constexpr std::size_t kPreviousTagSize = 4;
// A header that claims more than this is not FLV; real files always say 9.
constexpr std::uint32_t kMaxFileHeaderSize = 1024;

}  // namespace

Bytes flv_file_header(bool has_audio, bool has_video) {
  Bytes out;
  out.reserve(kFileHeaderSize + kPreviousTagSize);
  ByteWriter w(out);
  w.string("FLV");
  w.u8(1);
  w.u8(static_cast<std::uint8_t>((has_audio ? 0x04 : 0) | (has_video ? 0x01 : 0)));
  w.u32be(kFileHeaderSize);
  w.u32be(0);  // PreviousTagSize0
  return out;
}

FlvReader::FlvReader(bool expect_file_header, std::uint32_t max_tag_size)
    : need_file_header_(expect_file_header), max_tag_size_(max_tag_size) {}

void FlvReader::feed(ByteView data) {
  // Drop what was handed out before appending, so the buffer holds at most one partial tag plus
  // the new bytes; done here rather than in next() so next() never moves earlier tags' bodies.
  if (pos_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

bool FlvReader::read_file_header() {
  const ByteView avail = ByteView(buffer_).subspan(pos_);
  // Check the signature as soon as its bytes arrive, so a non-FLV stream fails early.
  for (std::size_t i = 0; i < 3 && i < avail.size(); ++i) {
    if (avail[i] != "FLV"[i]) throw ParseError("not an FLV stream");
  }
  if (avail.size() < kFileHeaderSize) return false;
  ByteReader r(avail);
  r.skip(4);  // "FLV", version
  const std::uint8_t flags = r.u8();
  const std::uint32_t data_offset = r.u32be();
  if (data_offset < kFileHeaderSize || data_offset > kMaxFileHeaderSize)
    throw ParseError("bad FLV header size");
  const std::size_t total = data_offset + kPreviousTagSize;
  if (avail.size() < total) return false;
  header_ = FlvHeader{.has_audio = (flags & 0x04) != 0, .has_video = (flags & 0x01) != 0};
  pos_ += total;
  consumed_ += total;
  need_file_header_ = false;
  return true;
}

std::optional<FlvTag> FlvReader::next() {
  if (need_file_header_ && !read_file_header()) return std::nullopt;
  const ByteView avail = ByteView(buffer_).subspan(pos_);
  if (avail.size() < kTagHeaderSize) return std::nullopt;

  ByteReader r(avail);
  const std::uint8_t type = r.u8() & 0x1f;  // top bits: reserved and the encryption filter flag
  if (type != 8 && type != 9 && type != 18) throw ParseError("unknown FLV tag type");
  const std::uint32_t size = r.u24be();
  if (size > max_tag_size_) throw ParseError("FLV tag too large");
  std::uint32_t timestamp = r.u24be();
  timestamp |= std::uint32_t{r.u8()} << 24;
  r.skip(3);  // stream id, always 0
  // The trailing PreviousTagSize is not checked: muxers disagree on it, and the sizes above
  // already frame the stream.
  const std::size_t total = kTagHeaderSize + size + kPreviousTagSize;
  if (avail.size() < total) return std::nullopt;

  FlvTag tag{.type = static_cast<MediaType>(type),
             .timestamp = timestamp,
             .body = avail.subspan(kTagHeaderSize, size)};
  pos_ += total;
  consumed_ += total;
  return tag;
}

}  // namespace liveorigin::media
