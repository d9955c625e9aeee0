// Where one recording's files begin and how their timestamps are rebased: pure logic, so the
// splitting rules are tested without files. Every media packet goes to exactly one file; a new
// file starts on a video key frame (or any audio frame when the stream has no video) once the
// interval has passed, and its timestamps start at 0.
#pragma once

#include <cstdint>

#include "liveorigin/media/packet.hpp"

namespace liveorigin::record {

class FileSplitter {
 public:
  enum class Action {
    keep,        // metadata or sequence header: remembered, written at the start of every file
    skip,        // media before the first file can start (video before its first key frame)
    start_file,  // the first file of the session starts with this packet
    split,       // land the current file; the next starts with this packet
    append,      // goes into the current file
  };

  // interval_ms 0 = never split.
  explicit FileSplitter(std::uint32_t interval_ms) : interval_ms_(interval_ms) {}

  Action on_packet(const media::Packet& packet);

  // Asks for a split at the next packet that may start a file (a new video sequence header in
  // an MP4 recording, which cannot change its codec config mid-file).
  void request_split() { split_requested_ = true; }

  // The packet's timestamp in the current file: ms since the file's first packet, never negative
  // (an audio frame sent just before the key frame that opened the file is stamped 0).
  std::uint32_t file_time(std::uint32_t dts) const;
  // The stream timestamp (ms) the current file starts at.
  std::uint32_t file_start() const { return file_start_; }
  bool started() const { return started_; }

 private:
  bool can_start_file(const media::Packet& packet) const;

  std::uint32_t interval_ms_;
  std::uint32_t file_start_ = 0;
  bool started_ = false;
  bool has_video_ = false;
  bool split_requested_ = false;
};

// The codec payload of an FLV audio/video body (what an MP4 sample or its extradata holds): the
// body after its FLV / enhanced-RTMP tag header (media/tag.hpp). Empty when the body ends inside
// its header.
ByteView codec_payload(const media::Packet& packet);

// The 11-byte FLV tag header of packet with its timestamp replaced by file_ts (24 bits + the
// extended byte); the rest of the tag (body, previous-tag-size) is written as it is.
void restamp_tag_header(const media::Packet& packet, std::uint32_t file_ts, std::uint8_t out[11]);

}  // namespace liveorigin::record
