// FLV files and HTTP-FLV streams: the incremental tag reader (with or without the file header,
// fed in pieces), each tag's header parsed (media/tag.hpp: legacy and enhanced RTMP, multitrack,
// ModEx) with its payload checked to lie inside the body, each tag made into a packet and its codec
// header read (AVC, HEVC, AAC, enhanced RTMP FourCCs, Opus, legacy audio flags).
#include <stdexcept>

#include "fuzz_util.hpp"
#include "liveorigin/media/codec_info.hpp"
#include "liveorigin/media/flv.hpp"
#include "liveorigin/media/tag.hpp"

using namespace liveorigin;

namespace {

// A complete header's payload lies inside the body; an incomplete one has none.
template <typename Tag>
void check_tag(const Tag& tag, ByteView body) {
  if (!tag.complete) {
    if (!tag.payload.empty()) __builtin_trap();
    return;
  }
  if (tag.payload.data() < body.data() || tag.payload.size() > body.size() ||
      tag.payload.data() + tag.payload.size() > body.data() + body.size())
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  const auto [piece, bytes] = fuzz::split(data, size);
  const bool file_header = size > 0 && (data[0] & 1) == 0;
  media::FlvReader reader(file_header, 1u << 20);
  try {
    fuzz::pieces(bytes, piece, [&](ByteView p) {
      reader.feed(p);
      while (auto tag = reader.next()) {
        if (tag->type == media::MediaType::video) check_tag(media::read_video_tag(tag->body), tag->body);
        if (tag->type == media::MediaType::audio) check_tag(media::read_audio_tag(tag->body), tag->body);
        const auto packet = media::make_packet(tag->type, tag->timestamp, tag->body);
        if (packet->body().size() != tag->body.size()) __builtin_trap();
        if (packet->is_video()) (void)media::parse_video_sequence_header(*packet);
        if (packet->is_audio()) (void)media::parse_audio_sequence_header(*packet);
        (void)media::is_metadata_body(packet->body());
      }
    });
  } catch (const ParseError&) {
  }
  return 0;
}
