// Fragmented MP4 (CMAF) for HLS through libavformat's MP4 muxer: an init segment (ftyp + moov with
// the sample entries: hvc1, av01, vp09, Opus, mp4a, fLaC) and one moof + mdat fragment per segment.
// The codecs MPEG-TS cannot carry (AV1, VP9, Opus, FLAC) go this way, and every codec with
// hls.format fmp4. No I/O: bytes in memory only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/hls/elementary_stream.hpp"
#include "liveorigin/media/packet.hpp"

struct AVFormatContext;
struct AVIOContext;
struct AVPacket;

namespace liveorigin::hls {

// One track of the init segment: its codec and decoder configuration as FLV carries it (AVC/HEVC
// record, av1C, vpcC, AudioSpecificConfig, OpusHead, FLAC header); Codec::none when absent.
struct Fmp4Track {
  media::Codec codec = media::Codec::none;
  Bytes config;
  int width = 0, height = 0;
  bool operator==(const Fmp4Track&) const = default;
};

// The default tracks (track 0) of a stream as fMP4 sees them: configs from SequenceStarts, frames
// as the FLV payload (length-prefixed NAL units, OBUs, Opus / AAC / MP3 / FLAC frames) unchanged.
class Fmp4Source {
 public:
  // An access unit to mux, or nullopt (configs, other tracks, codecs fMP4 here does not carry).
  std::optional<AccessUnit> convert(const media::Packet& packet);
  const Fmp4Track& video() const { return video_; }
  const Fmp4Track& audio() const { return audio_; }

 private:
  Fmp4Track video_, audio_;
};

// Whether MPEG-TS can carry these codecs (H.264, HEVC, AAC, MP3, AC-3, E-AC-3; none means absent).
bool ts_can_carry(media::Codec video, media::Codec audio);

class Fmp4Muxer {
 public:
  // Writes the init segment for the tracks present. Throws std::runtime_error when the muxer
  // refuses them.
  Fmp4Muxer(const Fmp4Track& video, const Fmp4Track& audio);
  ~Fmp4Muxer();
  Fmp4Muxer(const Fmp4Muxer&) = delete;
  Fmp4Muxer& operator=(const Fmp4Muxer&) = delete;

  const std::shared_ptr<const Bytes>& init() const { return init_; }
  const Fmp4Track& video() const { return video_; }
  const Fmp4Track& audio() const { return audio_; }

  // Times in ms. Each sample is held until the next one of its track gives its duration.
  void write(const AccessUnit& au);
  // Ends the fragment: moof + mdat of everything written since the previous call (empty if none).
  Bytes fragment();

 private:
  struct Pending {
    bool held = false;
    Bytes data;
    std::int64_t dts = 0, pts = 0;
    bool key = false;
    std::int64_t step = 0;  // the previous sample's duration: the estimate for the last one
  };
  void open();
  void release();  // frees what open() got so far; the destructor and a failed open use it
  void add_stream(const Fmp4Track& track);
  void write_sample(int index, Pending& p, std::int64_t duration);

  Fmp4Track video_, audio_;
  AVFormatContext* ctx_ = nullptr;
  AVPacket* pkt_ = nullptr;
  int video_index_ = -1, audio_index_ = -1;
  Pending pending_[2];
  std::int64_t last_dts_[2] = {INT64_MIN, INT64_MIN};
  Bytes out_;  // what the muxer wrote since the last take
  std::shared_ptr<const Bytes> init_;
};

}  // namespace liveorigin::hls
