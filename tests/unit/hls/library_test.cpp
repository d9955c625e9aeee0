#include "liveorigin/hls/library.hpp"

#include <gtest/gtest.h>

namespace liveorigin::hls {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{1000s};
  Library::Clock fn() {
    return [this] { return now; };
  }
};

std::shared_ptr<const Bytes> data(std::uint8_t v) { return std::make_shared<const Bytes>(188, v); }
std::string text(const PlaylistSnapshot& s) { return std::string(s.text->begin(), s.text->end()); }

const hub::StreamKey kKey{"live", "s"};

// fMP4: fragments name their init segment (#EXT-X-MAP), served like a segment; a new init (new
// codec configs) is a discontinuity, and an init leaves with the last fragment that needs it.
TEST(HlsLibrary, Fmp4FragmentsAndTheirInitSegments) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 2, 2);
  const auto init1 = data(9);
  auto added = lib.add_segment(kKey, pub, 2.0, data(1), init1);
  ASSERT_FALSE(added.init_uri.empty());
  EXPECT_TRUE(added.uri.ends_with(".m4s"));
  EXPECT_TRUE(added.init_uri.ends_with(".mp4"));
  EXPECT_EQ(lib.segment(kKey, added.init_uri), init1);
  const auto first_init = added.init_uri;
  added = lib.add_segment(kKey, pub, 2.0, data(2), init1);
  EXPECT_TRUE(added.init_uri.empty());  // unchanged: not written again
  auto t = text(*lib.playlist(kKey));
  EXPECT_NE(t.find("#EXT-X-VERSION:7\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("#EXT-X-MAP:URI=\"" + first_init + "\"\n#EXTINF"), t.find("#EXT-X-MAP")) << t;
  EXPECT_EQ(t.find("#EXT-X-MAP", t.find("#EXT-X-MAP") + 1), std::string::npos) << t;

  added = lib.add_segment(kKey, pub, 2.0, data(3), data(8));
  ASSERT_FALSE(added.init_uri.empty());
  t = text(*lib.playlist(kKey));
  EXPECT_NE(t.find("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"" + added.init_uri + "\""), std::string::npos) << t;
  lib.add_segment(kKey, pub, 2.0, data(4), lib.segment(kKey, added.init_uri));
  // Both fragments of the first init left the window: it goes a window later.
  clock.now += 10s;
  EXPECT_EQ(lib.segment(kKey, first_init), nullptr);
  EXPECT_NE(lib.segment(kKey, added.init_uri), nullptr);
}

TEST(HlsLibrary, ServesPlaylistAndSegmentsWithoutCopies) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 3, 2);
  EXPECT_EQ(lib.playlist(kKey), nullptr);  // no segment yet
  EXPECT_TRUE(lib.starting(kKey));
  EXPECT_FALSE(lib.starting({"live", "other"}));
  const auto seg = data(1);
  const auto added = lib.add_segment(kKey, pub, 2.0, seg);
  EXPECT_FALSE(lib.starting(kKey));
  ASSERT_FALSE(added.uri.empty());
  EXPECT_TRUE(added.uri.starts_with("s-"));
  EXPECT_TRUE(added.uri.ends_with("-0.ts"));
  const auto snap = lib.playlist(kKey);
  ASSERT_NE(snap, nullptr);
  EXPECT_NE(text(*snap).find(added.uri), std::string::npos);
  EXPECT_EQ(lib.segment(kKey, added.uri).get(), seg.get());  // the same buffer
  EXPECT_EQ(lib.segment(kKey, "s-0.ts"), nullptr);
  EXPECT_EQ(lib.playlist({"live", "other"}), nullptr);
}

TEST(HlsLibrary, SegmentsStayFetchableAWhileAfterLeavingThePlaylist) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 2, 2);
  const auto first = lib.add_segment(kKey, pub, 2.0, data(0)).uri;
  lib.add_segment(kKey, pub, 2.0, data(1));
  const auto third = lib.add_segment(kKey, pub, 2.0, data(2));
  ASSERT_EQ(third.evicted, std::vector<std::string>{first});
  EXPECT_EQ(text(*lib.playlist(kKey)).find(first), std::string::npos);
  clock.now += 3s;
  EXPECT_NE(lib.segment(kKey, first), nullptr);  // a player a little behind
  clock.now += 2s;  // window (2) x target (2 s) = 4 s after leaving
  EXPECT_EQ(lib.segment(kKey, first), nullptr);
}

TEST(HlsLibrary, OfflinePlaylistStaysAFewTargetDurationsThen404) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 3, 2);
  lib.add_segment(kKey, pub, 2.0, data(0));
  lib.close(kKey, pub);
  clock.now += 5s;
  EXPECT_NE(lib.playlist(kKey), nullptr);
  clock.now += 1s;  // 3 x 2 s
  EXPECT_EQ(lib.playlist(kKey), nullptr);
  // A publish after that starts a new playlist: no discontinuity, new segment names.
  const auto again = lib.open(kKey, 3, 2);
  const auto added = lib.add_segment(kKey, again, 2.0, data(1));
  EXPECT_EQ(text(*added.snapshot).find("DISCONTINUITY"), std::string::npos);
  EXPECT_NE(text(*added.snapshot).find("#EXT-X-MEDIA-SEQUENCE:0\n"), std::string::npos);
}

TEST(HlsLibrary, QuickRepublishContinuesThePlaylistWithADiscontinuity) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 6, 2);
  const auto a = lib.add_segment(kKey, pub, 2.0, data(0)).uri;
  lib.close(kKey, pub);
  clock.now += 2s;
  const auto pub2 = lib.open(kKey, 6, 2);
  const auto b = lib.add_segment(kKey, pub2, 2.0, data(1));
  const auto t = text(*b.snapshot);
  EXPECT_NE(t.find(a + "\n#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\n" + b.uri), std::string::npos) << t;
  // The old publish's late calls change nothing.
  EXPECT_TRUE(lib.add_segment(kKey, pub, 2.0, data(2)).uri.empty());
  lib.close(kKey, pub);
  clock.now += 60s;
  EXPECT_NE(lib.playlist(kKey), nullptr);
}

// Usage: a client plays from one playlist fetch to the next; a long gap starts a new session.
TEST(HlsLibrary, PlayTimeIsTheTimeBetweenAClientsPlaylistFetches) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 3, 2);
  lib.add_segment(kKey, pub, 2.0, data(0));
  EXPECT_EQ(lib.note_player(kKey, "a"), 0ms);  // a new client
  clock.now += 1500ms;
  EXPECT_EQ(lib.note_player(kKey, "a"), 1500ms);
  EXPECT_EQ(lib.note_player(kKey, "b"), 0ms);
  clock.now += 6s;  // three target durations: still the same session
  EXPECT_EQ(lib.note_player(kKey, "a"), 6000ms);
  clock.now += 6001ms;
  EXPECT_EQ(lib.note_player(kKey, "a"), 0ms);  // away too long: counted again from here
  EXPECT_EQ(lib.note_player({"live", "unknown"}, "a"), 0ms);
}

TEST(HlsLibrary, PlayersAreClientsThatFetchedThePlaylistRecently) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 3, 2);
  lib.add_segment(kKey, pub, 2.0, data(0));
  lib.note_player(kKey, "a");
  lib.note_player(kKey, "b");
  lib.note_player(kKey, "a");
  EXPECT_EQ(lib.players(kKey), 2u);
  clock.now += 4s;
  lib.note_player(kKey, "b");
  clock.now += 3s;  // a: 7 s ago > 3 x 2 s
  EXPECT_EQ(lib.players(kKey), 1u);
  EXPECT_EQ(lib.players({"live", "x"}), 0u);
  for (int i = 0; i < 1000; ++i) lib.note_player(kKey, std::to_string(i));
  clock.now += 10s;
  lib.note_player(kKey, "z");
  EXPECT_EQ(lib.players(kKey), 1u);
}

TEST(HlsLibrary, TrackedPlayersAreBoundedPerStreamAndStaleOnesMakeRoom) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 3, 2);
  lib.add_segment(kKey, pub, 2.0, data(0));
  const std::string big(15000, 'x');
  for (std::size_t i = 0; i < Library::kMaxPlayersPerStream + 500; ++i) lib.note_player(kKey, big + std::to_string(i));
  EXPECT_EQ(lib.players(kKey), Library::kMaxPlayersPerStream);
  clock.now += 10s;  // all stale: new clients are counted again
  lib.note_player(kKey, "new");
  EXPECT_EQ(lib.players(kKey), 1u);
}

}  // namespace
// An audio rendition lives under STREAM/audioN, names its segments audioN-..., starts at the
// sequence number the stream's playlist had when it started, and shows in the multivariant
// playlist once it has a segment.
TEST(HlsLibrary, AudioRenditionsAndTheMultivariantPlaylist) {
  FakeClock clock;
  Library lib(clock.fn());
  const auto pub = lib.open(kKey, 3, 2);
  EXPECT_FALSE(lib.multivariant(kKey));  // no segment yet
  lib.add_segment(kKey, pub, 2.0, data(1));
  lib.add_segment(kKey, pub, 2.0, data(2));
  lib.describe(kKey, pub, 640, 360, true);
  const auto rpub = lib.open_rendition(kKey, 1, 3, 2);
  const auto rkey = Library::rendition_key(kKey, 1);
  EXPECT_EQ(rkey.name, "s/audio1");
  auto mv = *lib.multivariant(kKey);
  EXPECT_EQ(mv.find("#EXT-X-MEDIA"), std::string::npos) << mv;  // the rendition has no segment yet
  EXPECT_NE(mv.find("RESOLUTION=640x360\n../s.m3u8\n"), std::string::npos) << mv;

  const auto added = lib.add_segment(rkey, rpub, 2.0, data(3), nullptr, lib.next_sequence(kKey));
  EXPECT_TRUE(added.uri.starts_with("audio1-")) << added.uri;
  EXPECT_TRUE(added.uri.ends_with("-2.ts")) << added.uri;  // numbered as the stream's third segment
  EXPECT_EQ(lib.segment(rkey, added.uri), lib.segment(rkey, added.uri));
  EXPECT_NE(lib.segment(rkey, added.uri), nullptr);
  EXPECT_EQ(lib.segment(kKey, added.uri), nullptr);
  EXPECT_NE(text(*lib.playlist(rkey)).find("#EXT-X-MEDIA-SEQUENCE:2\n"), std::string::npos);
  // A stream whose name sorts between "s" and "s/audio1" does not hide the rendition.
  lib.open({"live", "s-x"}, 3, 2);
  mv = *lib.multivariant(kKey, "txSecret=z");
  EXPECT_NE(mv.find("NAME=\"Track 0\",DEFAULT=YES,AUTOSELECT=YES\n"), std::string::npos) << mv;
  EXPECT_NE(mv.find("NAME=\"Track 1\",DEFAULT=NO,AUTOSELECT=YES,URI=\"audio1.m3u8?txSecret=z\""), std::string::npos)
      << mv;
  lib.close(rkey, rpub);
  clock.now += 10s;
  EXPECT_EQ(lib.multivariant(kKey)->find("#EXT-X-MEDIA"), std::string::npos);  // gone once offline
}

}  // namespace liveorigin::hls
