// MPEG-TS packetisation for HLS segments: elementary-stream access units in, 188-byte packets out.
// Pure (no I/O); the segmenter owns one per stream and appends each segment into its own buffer.
#pragma once

#include <cstdint>

#include "liveorigin/common/bytes.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::hls {

inline constexpr std::size_t kTsPacketSize = 188;

// The tracks a segment's PMT announces. video: h264 | hevc | none; audio: aac | mp3 | ac3 | eac3 | none.
struct TsTracks {
  media::Codec video = media::Codec::none;
  media::Codec audio = media::Codec::none;
  bool operator==(const TsTracks&) const = default;
};

class TsMuxer {
 public:
  // Starts a segment: PAT and PMT (every segment carries them, so each one decodes alone).
  void begin_segment(Bytes& out, TsTracks tracks);

  // One access unit as a PES packet. Timestamps are 90 kHz (wrapped to 33 bits here); the
  // PCR rides on the video track, or on audio when there is no video.
  void write_video(Bytes& out, ByteView annexb, std::uint64_t pts, std::uint64_t dts, bool keyframe);
  void write_audio(Bytes& out, ByteView frames, std::uint64_t pts);

  const TsTracks& tracks() const { return tracks_; }

 private:
  struct Pid {
    std::uint16_t id;
    std::uint8_t cc = 0;  // continuity counter, running across segments
  };
  void write_psi(Bytes& out, Pid& pid, ByteView section);
  void write_pes(Bytes& out, Pid& pid, std::uint8_t stream_id, ByteView payload, std::uint64_t pts,
                 std::uint64_t dts, bool with_dts, bool random_access, bool pcr, bool bounded_length);

  TsTracks tracks_;
  Pid pat_{0x0000};
  Pid pmt_{0x1000};
  Pid video_{0x0100};
  Pid audio_{0x0101};
};

}  // namespace liveorigin::hls
