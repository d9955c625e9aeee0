// The client codec against the server codec, in memory: handshake, connect, createStream, play,
// media, the end of the stream and refusals, whole and one byte at a time.
#include "liveorigin/rtmp/client_session.hpp"

#include <gtest/gtest.h>

namespace liveorigin::rtmp {
namespace {

struct Pair {
  explicit Pair(bool byte_at_a_time) : one_byte(byte_at_a_time) {}

  // Moves bytes both ways until neither side has output; returns what each side reported.
  void pump() {
    for (int round = 0; round < 20 && (client.has_output() || server.has_output()); ++round) {
      if (client.has_output()) feed_server(client.take_output());
      if (server.has_output()) feed_client(server.take_output());
    }
  }
  void feed_server(const Bytes& bytes) {
    std::vector<Event> events;
    if (one_byte) {
      for (std::size_t i = 0; i < bytes.size(); ++i) server.feed(ByteView(bytes).subspan(i, 1), events);
    } else {
      server.feed(bytes, events);
    }
    for (auto& e : events) {
      if (auto* connect = std::get_if<ConnectEvent>(&e)) {
        app = connect->app;
        server.accept_connect();
      } else if (auto* play = std::get_if<PlayEvent>(&e)) {
        played = play->stream;
        query = play->query;
        play_stream_id = play->stream_id;
        if (refuse_play) {
          server.reject_play(play->stream_id, "NetStream.Play.StreamNotFound", "stream not found");
        } else {
          server.accept_play(play->stream_id, play->stream);
        }
      }
    }
  }
  void feed_client(const Bytes& bytes) {
    if (one_byte) {
      for (std::size_t i = 0; i < bytes.size(); ++i) client.feed(ByteView(bytes).subspan(i, 1), client_events);
    } else {
      client.feed(bytes, client_events);
    }
  }

  bool one_byte;
  ClientSession client{{"live", "rtmp://127.0.0.1:1935/live", "cam?sig=abc"}};
  ServerSession server;
  std::vector<ClientEvent> client_events;
  std::string app, played;
  common::Query query;
  std::uint32_t play_stream_id = 0;
  bool refuse_play = false;
};

class ClientSessionTest : public ::testing::TestWithParam<bool> {};

TEST_P(ClientSessionTest, PlaysAndReceivesMediaUntilTheStreamEnds) {
  Pair p(GetParam());
  p.client.start();
  p.pump();
  EXPECT_EQ(p.app, "live");
  EXPECT_EQ(p.played, "cam");
  EXPECT_EQ(p.query.at("sig"), "abc");
  ASSERT_EQ(p.client_events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<PlayStartedEvent>(p.client_events[0]));
  EXPECT_TRUE(p.client.playing());
  EXPECT_EQ(p.client.stream_id(), p.play_stream_id);

  // Media as the server's players get it: chunked once at the server's chunk size on stream 1.
  const Bytes video_body = {0x17, 0x01, 0, 0, 0, 0xAA, 0xBB};
  const auto packet = media::make_packet(media::MediaType::video, 70000, video_body);
  p.feed_client(chunk_message(*packet, p.client.stream_id(), kOutChunkSize));
  ASSERT_EQ(p.client_events.size(), 2u);
  const auto* media = std::get_if<MediaEvent>(&p.client_events[1]);
  ASSERT_NE(media, nullptr);
  EXPECT_EQ(media->type, media::MediaType::video);
  EXPECT_EQ(media->timestamp, 70000u);
  EXPECT_EQ(media->body, video_body);

  p.server.end_play(p.client.stream_id(), "cam");
  p.pump();
  ASSERT_EQ(p.client_events.size(), 3u);
  const auto* stopped = std::get_if<PlayStoppedEvent>(&p.client_events[2]);
  ASSERT_NE(stopped, nullptr);
  EXPECT_FALSE(stopped->refused);
  EXPECT_FALSE(p.client.playing());
}

TEST_P(ClientSessionTest, APlayRefusalIsReported) {
  Pair p(GetParam());
  p.refuse_play = true;
  p.client.start();
  p.pump();
  ASSERT_EQ(p.client_events.size(), 1u);
  const auto* stopped = std::get_if<PlayStoppedEvent>(&p.client_events[0]);
  ASSERT_NE(stopped, nullptr);
  EXPECT_TRUE(stopped->refused);
  EXPECT_EQ(stopped->code, "NetStream.Play.StreamNotFound");
}

TEST_P(ClientSessionTest, AConnectRefusalIsReported) {
  Pair p(GetParam());
  p.client.start();
  p.feed_server(p.client.take_output());
  p.feed_client(p.server.take_output());  // S0 S1 S2: C2 and connect follow
  std::vector<Event> events;
  p.server.feed(p.client.take_output(), events);
  ASSERT_EQ(events.size(), 1u);
  p.server.reject_connect("unknown application");
  p.feed_client(p.server.take_output());
  ASSERT_EQ(p.client_events.size(), 1u);
  const auto* stopped = std::get_if<PlayStoppedEvent>(&p.client_events[0]);
  ASSERT_NE(stopped, nullptr);
  EXPECT_TRUE(stopped->refused);
  EXPECT_EQ(stopped->code, "NetConnection.Connect.Rejected");
}

TEST(ClientSession, RefusesAServerOfAnotherVersion) {
  ClientSession client({"live", "rtmp://h/live", "s"});
  client.start();
  (void)client.take_output();
  std::vector<ClientEvent> events;
  const Bytes bad(1 + 2 * handshake::kPacketSize, 6);
  EXPECT_THROW(client.feed(bad, events), ProtocolError);
}

INSTANTIATE_TEST_SUITE_P(Split, ClientSessionTest, ::testing::Bool());

}  // namespace
}  // namespace liveorigin::rtmp
