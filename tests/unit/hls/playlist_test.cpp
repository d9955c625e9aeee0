#include "liveorigin/hls/playlist.hpp"

#include <gtest/gtest.h>

namespace liveorigin::hls {
namespace {

TEST(Playlist, SlidesItsWindowAndCountsMediaSequence) {
  Playlist p(3, 2);
  for (int i = 0; i < 5; ++i) {
    const auto gone = p.add(2.0, "s-" + std::to_string(i) + ".ts");
    EXPECT_EQ(gone.size(), i >= 3 ? 1u : 0u);
  }
  EXPECT_EQ(p.render(),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:2\n"
            "#EXTINF:2.000,\ns-2.ts\n#EXTINF:2.000,\ns-3.ts\n#EXTINF:2.000,\ns-4.ts\n");
}

TEST(Playlist, ARecordingsPlaylistIsTypedVodAndEndsWithEndlist) {
  Playlist p(1 << 30, 2);
  p.add(2.0, "00000.ts");
  p.add(1.5, "00001.ts");
  const std::string body = "#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.000,\n00000.ts\n#EXTINF:1.500,\n00001.ts\n";
  EXPECT_EQ(p.render_vod(false), "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n" + body);
  EXPECT_EQ(p.render_vod(true), "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n" + body + "#EXT-X-ENDLIST\n");
}

TEST(Playlist, TargetDurationIsTheNearestSecondAndNeverShrinks) {
  Playlist p(2, 2);
  EXPECT_EQ(p.target_duration(), 2);
  p.add(2.002, "a.ts");  // a 29.97 fps encoder's 2 s GOP
  EXPECT_EQ(p.target_duration(), 2);
  p.add(2.4, "b.ts");
  EXPECT_EQ(p.target_duration(), 2);
  p.add(4.6, "c.ts");  // key frames further apart than the fragment
  EXPECT_EQ(p.target_duration(), 5);
  p.add(2, "d.ts");
  p.add(2, "e.ts");
  EXPECT_EQ(p.target_duration(), 5);
  EXPECT_EQ(target_seconds(2.5), 3);
  EXPECT_EQ(target_seconds(0.2), 1);
  EXPECT_EQ(Playlist(2, 0.5).target_duration(), 1);
}

TEST(Playlist, DiscontinuityBeforeTheFirstSegmentOfARepublishAndItsSequence) {
  Playlist p(2, 2);
  p.mark_discontinuity();  // nothing before: no tag
  p.add(2, "a.ts");
  p.mark_discontinuity();
  p.add(2, "b.ts");
  auto text = p.render();
  EXPECT_NE(text.find("#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\nb.ts"), std::string::npos) << text;
  EXPECT_EQ(text.find("DISCONTINUITY-SEQUENCE"), std::string::npos);
  p.add(2, "c.ts");
  p.add(2, "d.ts");  // b (with its tag) slid out
  text = p.render();
  EXPECT_NE(text.find("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("#EXT-X-DISCONTINUITY\n"), std::string::npos) << text;
}

TEST(Playlist, QueryRidesOnEverySegmentUri) {
  Playlist p(3, 2);
  p.add(1.5, "a.ts");
  EXPECT_NE(p.render("txSecret=ab&txTime=1").find("a.ts?txSecret=ab&txTime=1\n"), std::string::npos);
}

}  // namespace
// The default audio rides in the variant (a rendition without URI, DEFAULT=YES); the other
// tracks are renditions of the group with their own playlists; BANDWIDTH counts the widest.
TEST(Playlist, MultivariantListsTheAudioRenditions) {
  const auto text = render_multivariant({"../s.m3u8", 1000000, 320, 240, true},
                                        {{1, "audio1.m3u8", 64000}, {2, "audio2.m3u8", 128000}}, "txSecret=a");
  EXPECT_EQ(text,
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Track 0\",DEFAULT=YES,AUTOSELECT=YES\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Track 1\",DEFAULT=NO,AUTOSELECT=YES,"
            "URI=\"audio1.m3u8?txSecret=a\"\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Track 2\",DEFAULT=NO,AUTOSELECT=YES,"
            "URI=\"audio2.m3u8?txSecret=a\"\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=1128000,RESOLUTION=320x240,AUDIO=\"audio\"\n"
            "../s.m3u8?txSecret=a\n");
  // No audio of its own: the first rendition is the default. No renditions: no group.
  const auto video_only = render_multivariant({"../s.m3u8", 1000, 0, 0, false}, {{1, "audio1.m3u8", 10}});
  EXPECT_NE(video_only.find("NAME=\"Track 1\",DEFAULT=YES,AUTOSELECT=YES,URI=\"audio1.m3u8\""), std::string::npos)
      << video_only;
  EXPECT_EQ(render_multivariant({"../s.m3u8", 1000, 0, 0, true}, {}),
            "#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=1000\n../s.m3u8\n");
}

TEST(Playlist, PeakBandwidthIsTheFastestSegment) {
  Playlist p(3, 2);
  p.add(2.0, "a", {}, 250000);
  p.add(1.0, "b", {}, 200000);
  EXPECT_EQ(p.peak_bandwidth(), 1600000u);
}

}  // namespace liveorigin::hls
