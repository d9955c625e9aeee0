// The one tag header parser: legacy FLV and enhanced RTMP v1/v2 forms, and every truncation of
// each (run under -fsanitize=address: the bodies are exact-size heap copies).
#include "liveorigin/media/tag.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace liveorigin::media {
namespace {

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// [1][frame type:3][packet type:4] FourCC.
Bytes ex_video(int frame_type, int packet_type, const std::string& fourcc) {
  return cat({{static_cast<std::uint8_t>(0x80 | frame_type << 4 | packet_type)}, text(fourcc)});
}

// [9][packet type:4] FourCC.
Bytes ex_audio(int packet_type, const std::string& fourcc) {
  return cat({{static_cast<std::uint8_t>(0x90 | packet_type)}, text(fourcc)});
}

std::uint32_t fourcc_of(const std::string& s) {
  return std::uint32_t(std::uint8_t(s[0])) << 24 | std::uint8_t(s[1]) << 16 | std::uint8_t(s[2]) << 8 |
         std::uint8_t(s[3]);
}

const Bytes kData{0xaa, 0xbb, 0xcc};

// The payload is exactly the body's tail of `size` bytes.
void expect_tail(ByteView payload, const Bytes& body, std::size_t size) {
  ASSERT_EQ(payload.size(), size);
  EXPECT_EQ(payload.data(), body.data() + body.size() - size);
}

TEST(TagTest, LegacyAvc) {
  const Bytes seq = cat({{0x17, 0x00, 0x00, 0x00, 0x00}, kData});
  auto t = parse_video_tag(seq);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::h264);
  EXPECT_EQ(t->packet, TagPacket::sequence_start);
  EXPECT_TRUE(t->keyframe);
  EXPECT_EQ(t->frame_type, 1);
  EXPECT_FALSE(t->enhanced);
  EXPECT_FALSE(t->multitrack);
  EXPECT_EQ(t->track_id, 0);
  EXPECT_EQ(t->fourcc, 0u);
  expect_tail(t->payload, seq, 3);

  const Bytes frame = cat({{0x27, 0x01, 0xff, 0xff, 0xdf}, kData});
  t = parse_video_tag(frame);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->packet, TagPacket::coded_frames);
  EXPECT_FALSE(t->keyframe);
  EXPECT_EQ(t->composition_time, -33);
  expect_tail(t->payload, frame, 3);

  t = parse_video_tag(Bytes{0x17, 0x02, 0x00, 0x00, 0x00});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->packet, TagPacket::sequence_end);
  EXPECT_TRUE(t->payload.empty());
}

TEST(TagTest, LegacyHevcCodecId12) {
  const Bytes frame = cat({{0x2c, 0x01, 0x00, 0x00, 0x28}, kData});
  auto t = parse_video_tag(frame);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::hevc);
  EXPECT_EQ(t->packet, TagPacket::coded_frames);
  EXPECT_EQ(t->composition_time, 40);
  expect_tail(t->payload, frame, 3);
}

TEST(TagTest, LegacyOtherVideoAndCommandFrames) {
  const Bytes h263{0x22, 0x00, 0x84};  // Sorenson H.263 inter frame: data after the first byte
  auto t = parse_video_tag(h263);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::other);
  EXPECT_EQ(t->packet, TagPacket::coded_frames);
  expect_tail(t->payload, h263, 2);

  const Bytes command{0x57, 0x01};  // frame type 5: a command byte, no AVCPacketType
  t = parse_video_tag(command);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::h264);
  EXPECT_EQ(t->packet, TagPacket::other);
  expect_tail(t->payload, command, 1);
}

TEST(TagTest, LegacyAudio) {
  const Bytes asc{0xaf, 0x00, 0x12, 0x10};
  auto t = parse_audio_tag(asc);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::aac);
  EXPECT_EQ(t->packet, TagPacket::sequence_start);
  EXPECT_EQ(t->sound_format, 10);
  EXPECT_EQ(t->sound_flags, 0xaf);
  EXPECT_FALSE(t->enhanced);
  expect_tail(t->payload, asc, 2);

  const Bytes raw = cat({{0xaf, 0x01}, kData});
  t = parse_audio_tag(raw);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->packet, TagPacket::coded_frames);
  expect_tail(t->payload, raw, 3);

  const Bytes mp3 = cat({{0x2f}, kData});
  t = parse_audio_tag(mp3);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::mp3);
  EXPECT_EQ(t->packet, TagPacket::coded_frames);
  expect_tail(t->payload, mp3, 3);

  const Bytes alaw = cat({{0x72}, kData});  // G.711 A-law
  t = parse_audio_tag(alaw);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::other);
  EXPECT_EQ(t->sound_format, 7);
  expect_tail(t->payload, alaw, 3);
}

TEST(TagTest, EnhancedVideoEveryPacketType) {
  struct Case {
    const char* fourcc;
    Codec codec;
    bool composition_time;  // in CodedFrames: only the NALU-based codecs
  };
  for (const Case& c : {Case{"hvc1", Codec::hevc, true}, Case{"avc1", Codec::h264, true},
                        Case{"av01", Codec::av1, false}, Case{"vp09", Codec::vp9, false}}) {
    SCOPED_TRACE(c.fourcc);
    const Bytes seq = cat({ex_video(1, 0, c.fourcc), kData});
    auto t = parse_video_tag(seq);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->codec, c.codec);
    EXPECT_TRUE(t->enhanced);
    EXPECT_TRUE(t->keyframe);
    EXPECT_EQ(t->fourcc, fourcc_of(c.fourcc));
    EXPECT_EQ(t->packet, TagPacket::sequence_start);
    expect_tail(t->payload, seq, 3);

    const Bytes coded = cat({ex_video(2, 1, c.fourcc), {0x00, 0x00, 0x42}, kData});
    t = parse_video_tag(coded);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->packet, TagPacket::coded_frames);
    EXPECT_FALSE(t->keyframe);
    EXPECT_EQ(t->composition_time, c.composition_time ? 66 : 0);
    expect_tail(t->payload, coded, c.composition_time ? 3 : 6);

    const Bytes negative = cat({ex_video(2, 1, c.fourcc), {0xff, 0xff, 0xef}, kData});
    EXPECT_EQ(parse_video_tag(negative)->composition_time, c.composition_time ? -17 : 0);

    const Bytes coded_x = cat({ex_video(2, 3, c.fourcc), {0x00, 0x00, 0x42}, kData});
    t = parse_video_tag(coded_x);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->packet, TagPacket::coded_frames);
    EXPECT_EQ(t->composition_time, 0);  // CodedFramesX: implied zero, data right after the FourCC
    expect_tail(t->payload, coded_x, 6);

    const Bytes end = ex_video(1, 2, c.fourcc);
    t = parse_video_tag(end);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->packet, TagPacket::sequence_end);
    EXPECT_TRUE(t->payload.empty());

    const Bytes metadata = cat({ex_video(0, 4, c.fourcc), kData});
    t = parse_video_tag(metadata);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->packet, TagPacket::metadata);
    expect_tail(t->payload, metadata, 3);

    const Bytes ts_start = cat({ex_video(1, 5, c.fourcc), kData});
    t = parse_video_tag(ts_start);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->packet, TagPacket::other);  // MPEG2TSSequenceStart
    expect_tail(t->payload, ts_start, 3);
  }
}

TEST(TagTest, EnhancedFourCcs) {
  EXPECT_EQ(make_fourcc("hvc1"), 0x68766331u);
  auto vvc = parse_video_tag(cat({ex_video(1, 1, "vvc1"), {0x00, 0x00, 0x21}, kData}));
  ASSERT_TRUE(vvc);
  EXPECT_EQ(vvc->codec, Codec::other);  // passed through, but its composition time is read
  EXPECT_EQ(vvc->composition_time, 33);
  EXPECT_EQ(vvc->payload.size(), 3u);
  auto unknown = parse_video_tag(cat({ex_video(1, 1, "xyz1"), kData}));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->codec, Codec::other);
  EXPECT_EQ(unknown->fourcc, make_fourcc("xyz1"));
  EXPECT_EQ(unknown->payload.size(), 3u);
}

TEST(TagTest, EnhancedCommandFrameHasNoFourCc) {
  const Bytes command{0xd1, 0x00};  // frame type 5, CodedFrames: one VideoCommand byte
  auto t = parse_video_tag(command);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->packet, TagPacket::other);
  EXPECT_EQ(t->codec, Codec::other);
  EXPECT_EQ(t->fourcc, 0u);
  expect_tail(t->payload, command, 1);
}

TEST(TagTest, ReservedPacketTypesAreNotParsed) {
  EXPECT_FALSE(parse_video_tag(cat({ex_video(1, 8, "hvc1"), kData})));
  EXPECT_FALSE(parse_audio_tag(cat({ex_audio(3, "Opus"), kData})));
  const VideoTag t = read_video_tag(cat({ex_video(1, 15, "hvc1"), kData}));
  EXPECT_FALSE(t.complete);
  EXPECT_EQ(t.packet, TagPacket::other);
  EXPECT_TRUE(t.payload.empty());
}

TEST(TagTest, EnhancedAudioFourCcs) {
  struct Case {
    const char* fourcc;
    Codec codec;
  };
  for (const Case& c : {Case{"mp4a", Codec::aac}, Case{"Opus", Codec::opus}, Case{".mp3", Codec::mp3},
                        Case{"fLaC", Codec::flac}, Case{"ac-3", Codec::ac3}, Case{"ec-3", Codec::eac3}}) {
    SCOPED_TRACE(c.fourcc);
    const Bytes seq = cat({ex_audio(0, c.fourcc), kData});
    auto t = parse_audio_tag(seq);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->codec, c.codec);
    EXPECT_TRUE(t->enhanced);
    EXPECT_EQ(t->sound_format, 9);
    EXPECT_EQ(t->fourcc, fourcc_of(c.fourcc));
    EXPECT_EQ(t->packet, TagPacket::sequence_start);
    expect_tail(t->payload, seq, 3);
    const Bytes coded = cat({ex_audio(1, c.fourcc), kData});
    t = parse_audio_tag(coded);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->packet, TagPacket::coded_frames);
    expect_tail(t->payload, coded, 3);
    EXPECT_EQ(parse_audio_tag(ex_audio(2, c.fourcc))->packet, TagPacket::sequence_end);
    EXPECT_EQ(parse_audio_tag(cat({ex_audio(4, c.fourcc), kData}))->packet, TagPacket::other);
  }
  EXPECT_EQ(std::string(codec_name(Codec::ac3)), "ac3");
  EXPECT_EQ(std::string(codec_name(Codec::eac3)), "eac3");
  EXPECT_EQ(std::string(codec_name(Codec::flac)), "flac");
}

TEST(TagTest, OneTrackMultitrack) {
  // Multitrack (6), [OneTrack:4][CodedFrames:4], FourCC, track id 2, composition time, data.
  const Bytes video = cat({{0x96, 0x01}, text("hvc1"), {0x02, 0x00, 0x00, 0x21}, kData});
  auto t = parse_video_tag(video);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->multitrack);
  EXPECT_EQ(t->track_id, 2);
  EXPECT_EQ(t->codec, Codec::hevc);
  EXPECT_EQ(t->packet, TagPacket::coded_frames);
  EXPECT_TRUE(t->keyframe);
  EXPECT_EQ(t->composition_time, 33);
  expect_tail(t->payload, video, 3);

  // Audio Multitrack (5), [OneTrack][SequenceStart], 'Opus', track id 1.
  const Bytes audio = cat({{0x95, 0x00}, text("Opus"), {0x01}, kData});
  auto a = parse_audio_tag(audio);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->multitrack);
  EXPECT_EQ(a->track_id, 1);
  EXPECT_EQ(a->codec, Codec::opus);
  EXPECT_EQ(a->packet, TagPacket::sequence_start);
  expect_tail(a->payload, audio, 3);

  // A multitrack tag may not nest another, and AvMultitrackType 3+ is unknown.
  EXPECT_FALSE(parse_video_tag(cat({{0x96, 0x06}, text("hvc1"), {0x00}, kData})));
  EXPECT_FALSE(parse_video_tag(cat({{0x96, 0x31}, text("hvc1"), {0x00}, kData})));
}

TEST(TagTest, ManyTracksReportTheFirstTrack) {
  // ManyTracks (1), CodedFramesX: shared FourCC, then [track id][size:24][data] per track.
  const Bytes many = cat({{0x96, 0x13}, text("av01"), {0x00, 0x00, 0x00, 0x02, 0x11, 0x12},
                          {0x01, 0x00, 0x00, 0x01, 0x21}});
  auto t = parse_video_tag(many);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::av1);
  EXPECT_EQ(t->track_id, 0);
  ASSERT_EQ(t->payload.size(), 2u);  // the first track only
  EXPECT_EQ(t->payload[0], 0x11);
  EXPECT_EQ(t->payload.data(), many.data() + 10);

  // ManyTracksManyCodecs (2): a FourCC per track.
  const Bytes codecs = cat({{0x95, 0x21}, text("mp4a"), {0x03, 0x00, 0x00, 0x01, 0x42},
                            text("Opus"), {0x04, 0x00, 0x00, 0x01, 0x43}});
  auto a = parse_audio_tag(codecs);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->codec, Codec::aac);
  EXPECT_EQ(a->track_id, 3);
  ASSERT_EQ(a->payload.size(), 1u);
  EXPECT_EQ(a->payload[0], 0x42);

  // A track size past the end of the body.
  EXPECT_FALSE(parse_video_tag(cat({{0x96, 0x13}, text("av01"), {0x00, 0x00, 0x00, 0x09, 0x11}})));
}

TEST(TagTest, ModExPrefixesAreSkipped) {
  // ModEx (7): [size - 1 = 2][3 bytes: nanosecond offset][ModExType 0][CodedFrames], then the FourCC.
  const Bytes video = cat({{0x97, 0x02, 0x01, 0x02, 0x03, 0x01}, text("hvc1"), {0x00, 0x00, 0x10}, kData});
  auto t = parse_video_tag(video);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::hevc);
  EXPECT_EQ(t->packet, TagPacket::coded_frames);
  EXPECT_EQ(t->composition_time, 16);
  expect_tail(t->payload, video, 3);

  // Two ModEx prefixes, the second with a 16-bit size (255 → UI16 + 1 = 300 bytes), then Multitrack.
  Bytes big{0x97, 0x00, 0x00, 0x07, 0xff, 0x01, 0x2b};
  big.resize(big.size() + 300, 0x55);
  big.push_back(0x06);  // ModExType 0, packet type Multitrack
  big = cat({big, {0x00}, text("vp09"), {0x05}, kData});  // OneTrack SequenceStart, track 5
  t = parse_video_tag(big);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->codec, Codec::vp9);
  EXPECT_EQ(t->packet, TagPacket::sequence_start);
  EXPECT_EQ(t->track_id, 5);
  expect_tail(t->payload, big, 3);

  const Bytes audio = cat({{0x97, 0x00, 0x09, 0x01}, text("Opus"), kData});
  auto a = parse_audio_tag(audio);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->codec, Codec::opus);
  EXPECT_EQ(a->packet, TagPacket::coded_frames);
  expect_tail(a->payload, audio, 3);
}

// Every prefix of a valid tag: shorter than its header gives nullopt (read_* reports incomplete,
// with no payload and no composition time); from the header on, the payload is the rest.
TEST(TagTest, EveryTruncationOfEveryForm) {
  struct Form {
    bool video;
    Bytes tag;
    std::size_t header;  // bytes before the payload
  };
  const std::vector<Form> forms{
      {true, cat({{0x17, 0x01, 0x00, 0x00, 0x28}, kData}), 5},
      {true, cat({{0x2c, 0x00, 0x00, 0x00, 0x00}, kData}), 5},
      {true, cat({{0x22}, kData}), 1},
      {true, cat({ex_video(1, 1, "hvc1"), {0x00, 0x00, 0x42}, kData}), 8},
      {true, cat({ex_video(1, 1, "avc1"), {0x00, 0x00, 0x42}, kData}), 8},
      {true, cat({ex_video(1, 1, "av01"), kData}), 5},
      {true, cat({ex_video(2, 3, "vp09"), kData}), 5},
      {true, cat({ex_video(1, 0, "hvc1"), kData}), 5},
      {true, cat({ex_video(1, 4, "hvc1"), kData}), 5},
      {true, cat({{0x96, 0x01}, text("hvc1"), {0x02, 0x00, 0x00, 0x21}, kData}), 10},
      {true, cat({{0x96, 0x13}, text("av01"), {0x00, 0x00, 0x00, 0x03}, kData}), 10},
      {true, cat({{0x97, 0x02, 0x01, 0x02, 0x03, 0x01}, text("hvc1"), {0x00, 0x00, 0x10}, kData}), 13},
      {false, cat({{0xaf, 0x01}, kData}), 2},
      {false, cat({{0x2f}, kData}), 1},
      {false, cat({ex_audio(1, "Opus"), kData}), 5},
      {false, cat({{0x95, 0x00}, text("Opus"), {0x01}, kData}), 7},
      {false, cat({{0x95, 0x21}, text("mp4a"), {0x03, 0x00, 0x00, 0x03}, kData}), 10},
      {false, cat({{0x97, 0x00, 0x09, 0x01}, text("Opus"), kData}), 8},
  };
  for (std::size_t f = 0; f < forms.size(); ++f) {
    const Form& form = forms[f];
    for (std::size_t n = 0; n <= form.tag.size(); ++n) {
      SCOPED_TRACE("form " + std::to_string(f) + " cut at " + std::to_string(n));
      const Bytes body(form.tag.begin(), form.tag.begin() + static_cast<std::ptrdiff_t>(n));
      // The multitrack size counts the whole first track: a cut inside it is a truncated tag.
      const bool sized = f == 10 || f == 16;
      const bool complete = n >= form.header && (!sized || n == form.tag.size());
      ByteView payload;
      bool ok = false;
      std::int32_t composition_time = 0;
      if (form.video) {
        const VideoTag read = read_video_tag(body);
        ok = read.complete;
        payload = read.payload;
        composition_time = read.composition_time;
        EXPECT_EQ(parse_video_tag(body).has_value(), ok);
      } else {
        const AudioTag read = read_audio_tag(body);
        ok = read.complete;
        payload = read.payload;
        EXPECT_EQ(parse_audio_tag(body).has_value(), ok);
      }
      EXPECT_EQ(ok, complete);
      if (!ok) {
        EXPECT_TRUE(payload.empty());
        EXPECT_EQ(composition_time, 0);
        continue;
      }
      ASSERT_EQ(payload.size(), n - form.header);
      if (!payload.empty()) EXPECT_EQ(payload.data(), body.data() + form.header);
    }
  }
}

TEST(TagTest, IncompleteTagsKeepWhatWasRead) {
  VideoTag legacy = read_video_tag(Bytes{0x17, 0x01});
  EXPECT_FALSE(legacy.complete);
  EXPECT_EQ(legacy.codec, Codec::h264);
  EXPECT_TRUE(legacy.keyframe);
  VideoTag enhanced = read_video_tag(cat({ex_video(1, 1, "hvc1"), {0x00}}));
  EXPECT_FALSE(enhanced.complete);
  EXPECT_EQ(enhanced.codec, Codec::hevc);
  EXPECT_EQ(enhanced.packet, TagPacket::other);
  EXPECT_EQ(read_video_tag(Bytes{0x90, 'h', 'v'}).codec, Codec::other);
  EXPECT_EQ(read_video_tag(ByteView{}).codec, Codec::other);
  EXPECT_EQ(read_audio_tag(Bytes{0xaf}).codec, Codec::aac);
  EXPECT_FALSE(read_audio_tag(Bytes{0xaf}).complete);
  EXPECT_EQ(read_audio_tag(ByteView{}).codec, Codec::other);
}

// make_packet reads the tag once: the packet carries the track, and only the default track's
// decoder configuration is a sequence header (the GOP cache and single-track outputs keep one).
TEST(TagTest, PacketCarriesTheTrack) {
  const Bytes track2 = cat({{0x96, 0x00}, text("hvc1"), {0x02}, kData});
  auto p = make_packet(MediaType::video, 0, track2);
  EXPECT_EQ(p->codec, Codec::hevc);
  EXPECT_EQ(p->track_id, 2);
  EXPECT_FALSE(p->keyframe);  // players and segments start on the default track's key frames
  EXPECT_FALSE(p->sequence_header);
  EXPECT_TRUE(p->track_config);  // the GOP cache keeps it for late joiners all the same
  const Bytes track0 = cat({{0x96, 0x00}, text("hvc1"), {0x00}, kData});
  p = make_packet(MediaType::video, 0, track0);
  EXPECT_EQ(p->track_id, 0);
  EXPECT_TRUE(p->sequence_header);
  p = make_packet(MediaType::audio, 0, cat({ex_audio(0, "fLaC"), kData}));
  EXPECT_EQ(p->codec, Codec::flac);
  EXPECT_TRUE(p->sequence_header);
  EXPECT_EQ(p->track_id, 0);
}

// Every track of a ManyTracksManyCodecs tag, each payload bounded by its size, composition times
// only for the NALU codecs.
TEST(TagTest, EveryTrackOfAMultitrackTag) {
  const Bytes body = cat({{0x96, 0x21}, text("hvc1"), {0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x28}, kData,
                          text("av01"), {0x01, 0x00, 0x00, 0x03}, kData});
  std::vector<TagTrack> tracks;
  ASSERT_TRUE(for_each_video_track(body, [&](const TagTrack& t) {
    tracks.push_back(t);
    return true;
  }));
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].codec, Codec::hevc);
  EXPECT_EQ(tracks[0].composition_time, 40);
  EXPECT_EQ(tracks[0].payload.size(), 3u);
  EXPECT_EQ(tracks[1].codec, Codec::av1);
  EXPECT_EQ(tracks[1].track_id, 1);
  EXPECT_EQ(tracks[1].composition_time, 0);
  expect_tail(tracks[1].payload, body, 3);
  EXPECT_EQ(make_packet(MediaType::video, 0, body)->drop_reason, nullptr);

  // The second track's size runs past the end: the first-track reader does not see it, ingest does.
  Bytes cut = body;
  cut.pop_back();
  EXPECT_TRUE(parse_video_tag(cut));
  EXPECT_FALSE(for_each_video_track(cut, [](const TagTrack&) { return true; }));
  EXPECT_NE(make_packet(MediaType::video, 0, cut)->drop_reason, nullptr);
}

TEST(TagTest, IngestDropsUnknownFourCcsAndCutEnhancedTags) {
  EXPECT_STREQ(make_packet(MediaType::video, 0, cat({ex_video(1, 0, "xyz1"), kData}))->drop_reason,
               "unknown FourCC");
  EXPECT_STREQ(make_packet(MediaType::audio, 0, cat({{0x95, 0x10}, text("Opus"), {0x00, 0x00, 0x00, 0x01},
                                                     kData, {0x01, 0x00, 0x00, 0x09}, kData}))->drop_reason,
               "cut or malformed enhanced tag (size past the end, reserved packet type)");
  // ModEx whose data runs past the end.
  EXPECT_NE(make_packet(MediaType::video, 0, Bytes{0x97, 0x20, 0x00})->drop_reason, nullptr);
  // Known ones pass, and so does a legacy tag cut short (its codec ids are a closed set).
  for (const char* f : {"hvc1", "av01", "vp09", "avc1", "vp08"}) {
    EXPECT_EQ(make_packet(MediaType::video, 0, cat({ex_video(1, 3, f), kData}))->drop_reason, nullptr) << f;
  }
  for (const char* f : {"Opus", "mp4a", ".mp3", "ac-3", "ec-3", "fLaC"}) {
    EXPECT_EQ(make_packet(MediaType::audio, 0, cat({ex_audio(1, f), kData}))->drop_reason, nullptr) << f;
  }
  EXPECT_EQ(make_packet(MediaType::video, 0, Bytes{0x17, 0x01})->drop_reason, nullptr);
}

}  // namespace
}  // namespace liveorigin::media
