// Scripted client sessions against ServerSession; replies are decoded with our own chunk reader.
#include "liveorigin/rtmp/server_session.hpp"

#include <gtest/gtest.h>

namespace liveorigin::rtmp {
namespace {

using amf0::Value;
constexpr std::size_t kHandshakeReply = 1 + 2 * handshake::kPacketSize;

// A publishing/playing client: builds its bytes with ChunkWriter, reads replies with ChunkReader.
class Client {
 public:
  explicit Client(bool byte_at_a_time) : byte_at_a_time_(byte_at_a_time) {}

  Bytes handshake_bytes() {
    Bytes b = {handshake::kVersion};
    const Bytes c1 = handshake::make_c1(handshake::Schema::schema1);
    b.insert(b.end(), c1.begin(), c1.end());
    b.insert(b.end(), handshake::kPacketSize, 0x5A);  // C2
    return b;
  }
  void command(Bytes& wire, std::uint32_t stream_id, std::string_view name, double txn, const Value& obj,
               const std::vector<Value>& args = {}) {
    message(wire, 3, message_type::kCommandAmf0, 0, stream_id, encode_command(name, txn, obj, args));
  }
  void message(Bytes& wire, std::uint32_t csid, std::uint8_t type, std::uint32_t ts, std::uint32_t sid, Bytes body) {
    writer_.write(wire, Message{csid, type, ts, sid, std::move(body)});
  }
  void set_chunk_size(Bytes& wire, std::uint32_t size) {
    Bytes body;
    ByteWriter(body).u32be(size);
    message(wire, 2, message_type::kSetChunkSize, 0, 0, std::move(body));
    writer_.set_chunk_size(size);
  }

  // Sends bytes to the session; returns the events and collects the decoded replies.
  std::vector<Event> send(ByteView wire) {
    std::vector<Event> events;
    if (byte_at_a_time_) {
      for (std::size_t i = 0; i < wire.size(); ++i) session.feed(wire.subspan(i, 1), events);
    } else {
      session.feed(wire, events);
    }
    pump();
    return events;
  }
  void pump() {
    Bytes out = session.take_output();
    EXPECT_FALSE(session.has_output());
    ByteView view(out);
    if (handshake_left_ > 0) {
      const std::size_t n = std::min(handshake_left_, view.size());
      handshake_left_ -= n;
      view = view.subspan(n);
    }
    reader_.feed(view, replies);
  }
  // Replies received since the last call.
  std::vector<Message> take_replies() { return std::exchange(replies, {}); }
  std::uint32_t reply_chunk_size() const { return reader_.chunk_size(); }

  ServerSession session;
  std::vector<Message> replies;

 private:
  bool byte_at_a_time_;
  ChunkWriter writer_;
  ChunkReader reader_;
  std::size_t handshake_left_ = kHandshakeReply;
};

Command expect_command(const Message& m, std::string_view name) {
  auto c = parse_command(m);
  EXPECT_TRUE(c.has_value()) << "type " << int(m.type);
  if (!c) return {};
  EXPECT_EQ(c->name, name);
  return *c;
}

std::string status_code(const Command& c) {
  return c.args.empty() || !c.args[0].get("code") ? std::string{} : c.args[0].get("code")->as_string();
}

std::uint32_t control_value(const Message& m, std::uint8_t type) {
  EXPECT_EQ(m.type, type);
  ByteReader r(m.body);
  return r.u32be();
}

Value connect_object(std::string app, std::string tc_url) {
  return Value::make_object({{"app", Value::make_string(std::move(app))},
                             {"type", Value::make_string("nonprivate")},
                             {"flashVer", Value::make_string("FMLE/3.0 (compatible; FMSc/1.0)")},
                             {"tcUrl", Value::make_string(std::move(tc_url))},
                             {"objectEncoding", Value::make_number(0)}});
}

void connect(Client& c, std::string app = "live?sign=1", std::string tc_url = "rtmp://h/live?sign=1&k=a%20b") {
  Bytes wire = c.handshake_bytes();
  c.set_chunk_size(wire, 4096);  // like ffmpeg: right after the handshake
  c.command(wire, 0, "connect", 1, connect_object(std::move(app), std::move(tc_url)));
  auto events = c.send(wire);
  ASSERT_EQ(events.size(), 1u);
  const auto& e = std::get<ConnectEvent>(events[0]);
  EXPECT_EQ(e.app, "live");
  EXPECT_TRUE(c.take_replies().empty());  // nothing until the owner decides

  c.session.accept_connect();
  c.pump();
  auto r = c.take_replies();
  ASSERT_EQ(r.size(), 3u);  // Set Chunk Size is consumed by the reader
  EXPECT_EQ(control_value(r[0], message_type::kWindowAckSize), kWindowAckSize);
  EXPECT_EQ(control_value(r[1], message_type::kSetPeerBandwidth), kWindowAckSize);
  EXPECT_EQ(r[1].body.at(4), 2);
  EXPECT_EQ(c.reply_chunk_size(), kOutChunkSize);
  const Command result = expect_command(r[2], "_result");
  EXPECT_EQ(result.transaction_id, 1);
  EXPECT_EQ(r[2].chunk_stream_id, 3u);
  EXPECT_EQ(result.object.get("fmsVer")->as_string(), "FMS/3,5,7,7009");
  EXPECT_EQ(result.object.get("capabilities")->as_number(), 31);
  EXPECT_EQ(status_code(result), "NetConnection.Connect.Success");
  EXPECT_EQ(result.args.at(0).get("objectEncoding")->as_number(), 0);
}

void publish_script(bool byte_at_a_time, std::vector<Event>& all) {
  Client c(byte_at_a_time);
  connect(c);

  Bytes wire;
  c.command(wire, 0, "releaseStream", 2, Value::make_null(), {Value::make_string("cam?key=1")});
  c.command(wire, 0, "FCPublish", 3, Value::make_null(), {Value::make_string("cam?key=1")});
  c.command(wire, 0, "createStream", 4, Value::make_null());
  c.command(wire, 1, "publish", 5, Value::make_null(), {Value::make_string("cam?key=1&t=%41"), Value::make_string("live")});
  auto events = c.send(wire);
  auto r = c.take_replies();
  ASSERT_EQ(r.size(), 3u);  // onFCPublish waits for the decision
  EXPECT_EQ(expect_command(r[0], "_result").transaction_id, 2);
  EXPECT_EQ(expect_command(r[1], "_result").transaction_id, 3);
  const Command created = expect_command(r[2], "_result");
  EXPECT_EQ(created.transaction_id, 4);
  EXPECT_EQ(created.args.at(0).as_number(), 1);
  ASSERT_EQ(events.size(), 1u);
  const auto& pub = std::get<PublishEvent>(events[0]);
  EXPECT_EQ(pub.stream_id, 1u);
  EXPECT_EQ(pub.stream, "cam");
  EXPECT_EQ(pub.publish_type, "live");
  EXPECT_EQ(pub.query, (common::Query{{"key", "1"}, {"t", "A"}}));
  all.insert(all.end(), events.begin(), events.end());

  c.session.accept_publish(1, "cam");
  c.pump();
  r = c.take_replies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(status_code(expect_command(r[0], "onFCPublish")), "NetStream.Publish.Start");
  EXPECT_EQ(r[1].stream_id, 1u);
  EXPECT_EQ(status_code(expect_command(r[1], "onStatus")), "NetStream.Publish.Start");

  // Metadata, audio and video with fmt 1/2/3 headers, a ping, a small ack window, big frames.
  wire.clear();
  Bytes ack_window;
  ByteWriter(ack_window).u32be(100000);
  c.message(wire, 2, message_type::kWindowAckSize, 0, 0, ack_window);
  Bytes meta;
  amf0::encode_string(meta, "@setDataFrame");
  amf0::encode_string(meta, "onMetaData");
  amf0::encode(meta, Value::make_ecma_array({{"width", Value::make_number(1280)}}));
  c.message(wire, 4, message_type::kDataAmf0, 0, 1, meta);
  Bytes text;
  amf0::encode_string(text, "onTextData");
  amf0::encode(text, Value::make_object({{"text", Value::make_string("hi")}}));
  c.message(wire, 4, message_type::kDataAmf0, 5, 1, text);
  c.message(wire, 4, message_type::kAudio, 0, 1, Bytes{0xAF, 0x00, 0x12, 0x10});
  c.message(wire, 6, message_type::kVideo, 0, 1, Bytes{0x17, 0x00, 0, 0, 0, 1, 2, 3});
  for (std::uint32_t i = 1; i <= 3; ++i) c.message(wire, 6, message_type::kVideo, 33 * i, 1, Bytes(200000, std::uint8_t(i)));
  Bytes ping;
  ByteWriter pw(ping);
  pw.u16be(user_control::kPingRequest);
  pw.u32be(0xCAFE);
  c.message(wire, 2, message_type::kUserControl, 0, 0, ping);
  c.message(wire, 6, message_type::kVideo, 0x1000000, 1, Bytes(5000, 9));  // extended timestamp
  events = c.send(wire);

  ASSERT_EQ(events.size(), 8u);
  const auto& md = std::get<MediaEvent>(events[0]);
  EXPECT_EQ(md.type, media::MediaType::data);
  const auto meta_values = amf0::decode_all(md.body);
  ASSERT_EQ(meta_values.size(), 2u);
  EXPECT_EQ(meta_values[0].as_string(), "onMetaData");
  EXPECT_EQ(meta_values[1].get("width")->as_number(), 1280);
  EXPECT_EQ(std::get<MediaEvent>(events[1]).body, text);
  EXPECT_EQ(std::get<MediaEvent>(events[1]).timestamp, 5u);
  EXPECT_EQ(std::get<MediaEvent>(events[2]).type, media::MediaType::audio);
  EXPECT_EQ(std::get<MediaEvent>(events[3]).type, media::MediaType::video);
  for (std::uint32_t i = 1; i <= 3; ++i) {
    const auto& v = std::get<MediaEvent>(events[3 + i]);
    EXPECT_EQ(v.timestamp, 33 * i);
    EXPECT_EQ(v.stream_id, 1u);
    EXPECT_EQ(v.body, Bytes(200000, std::uint8_t(i)));
  }
  EXPECT_EQ(std::get<MediaEvent>(events[7]).timestamp, 0x1000000u);
  all.insert(all.end(), events.begin(), events.end());

  r = c.take_replies();
  bool saw_ack = false, saw_pong = false;
  for (const auto& m : r) {
    if (m.type == message_type::kAcknowledgement) {
      saw_ack = true;
      EXPECT_LE(control_value(m, m.type), c.session.bytes_received());
    }
    if (m.type == message_type::kUserControl) {
      ByteReader rr(m.body);
      EXPECT_EQ(rr.u16be(), user_control::kPingResponse);
      EXPECT_EQ(rr.u32be(), 0xCAFEu);
      saw_pong = true;
    }
  }
  EXPECT_TRUE(saw_ack);
  EXPECT_TRUE(saw_pong);

  // Unpublish: FCUnpublish (stream 0, by name) then deleteStream → one CloseStreamEvent.
  wire.clear();
  c.command(wire, 0, "FCUnpublish", 6, Value::make_null(), {Value::make_string("cam?key=1")});
  c.command(wire, 0, "deleteStream", 7, Value::make_null(), {Value::make_number(1)});
  c.message(wire, 6, message_type::kVideo, 0x1000010, 1, Bytes(10, 1));  // after close: dropped
  events = c.send(wire);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<CloseStreamEvent>(events[0]).stream_id, 1u);
  all.insert(all.end(), events.begin(), events.end());
}

bool same_events(const std::vector<Event>& a, const std::vector<Event>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].index() != b[i].index()) return false;
    if (auto* m = std::get_if<MediaEvent>(&a[i])) {
      const auto& n = std::get<MediaEvent>(b[i]);
      if (m->type != n.type || m->timestamp != n.timestamp || m->stream_id != n.stream_id || m->body != n.body)
        return false;
    }
  }
  return true;
}

TEST(ServerSession, PublishScriptInOneBlockAndByteByByte) {
  std::vector<Event> block, bytewise;
  publish_script(false, block);
  publish_script(true, bytewise);
  EXPECT_EQ(block.size(), 10u);  // publish, 8 media, close
  EXPECT_TRUE(same_events(block, bytewise));
}

TEST(ServerSession, ConnectMergesQueryFromAppAndTcUrl) {
  Client c(false);
  Bytes wire = c.handshake_bytes();
  c.command(wire, 0, "connect", 1, connect_object("live/?a=1&b=2", "rtmp://h:1935/live?b=3&c=4"));
  auto events = c.send(wire);
  ASSERT_EQ(events.size(), 1u);
  const auto& e = std::get<ConnectEvent>(events[0]);
  EXPECT_EQ(e.app, "live");
  EXPECT_EQ(e.tc_url, "rtmp://h:1935/live?b=3&c=4");
  EXPECT_EQ(e.query, (common::Query{{"a", "1"}, {"b", "2"}, {"c", "4"}}));
}

TEST(ServerSession, RejectConnect) {
  Client c(false);
  Bytes wire = c.handshake_bytes();
  c.command(wire, 0, "connect", 1, connect_object("nope", "rtmp://h/nope"));
  c.send(wire);
  c.session.reject_connect("no such app");
  c.pump();
  auto r = c.take_replies();
  ASSERT_EQ(r.size(), 1u);
  const Command err = expect_command(r[0], "_error");
  EXPECT_EQ(status_code(err), "NetConnection.Connect.Rejected");
  EXPECT_EQ(err.args[0].get("description")->as_string(), "no such app");
}

TEST(ServerSession, PlayAcceptAndEnd) {
  Client c(false);
  connect(c);
  Bytes wire;
  c.command(wire, 0, "createStream", 2, Value::make_null());
  c.command(wire, 0, "getStreamLength", 3, Value::make_null(), {Value::make_string("cam")});
  c.command(wire, 1, "play", 4, Value::make_null(),
            {Value::make_string("cam?token=x"), Value::make_number(-2), Value::make_number(-1), Value::make_boolean(false)});
  auto events = c.send(wire);
  ASSERT_EQ(events.size(), 1u);
  const auto& play = std::get<PlayEvent>(events[0]);
  EXPECT_EQ(play.stream, "cam");
  EXPECT_EQ(play.stream_id, 1u);
  EXPECT_EQ(play.query.at("token"), "x");
  auto r = c.take_replies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(expect_command(r[1], "_result").args.at(0).as_number(), 0);

  c.session.accept_play(1, "cam");
  c.session.end_play(1, "cam");
  c.pump();
  r = c.take_replies();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].type, message_type::kUserControl);
  EXPECT_EQ(r[0].body, (Bytes{0, 0, 0, 0, 0, 1}));  // StreamBegin 1
  EXPECT_EQ(status_code(expect_command(r[1], "onStatus")), "NetStream.Play.Reset");
  EXPECT_EQ(status_code(expect_command(r[2], "onStatus")), "NetStream.Play.Start");
  EXPECT_EQ(r[2].stream_id, 1u);
  EXPECT_EQ(status_code(expect_command(r[3], "onStatus")), "NetStream.Play.UnpublishNotify");
  EXPECT_EQ(r[4].body, (Bytes{0, 1, 0, 0, 0, 1}));  // StreamEOF 1

  wire.clear();
  c.command(wire, 1, "closeStream", 0, Value::make_null());
  events = c.send(wire);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<CloseStreamEvent>(events[0]).stream_id, 1u);
}

TEST(ServerSession, RejectPublishAndPlay) {
  Client c(false);
  connect(c);
  c.session.reject_publish(1, "NetStream.Publish.BadName", "taken");
  c.session.reject_play(1, "NetStream.Play.StreamNotFound", "none");
  c.pump();
  auto r = c.take_replies();
  ASSERT_EQ(r.size(), 2u);
  const Command a = expect_command(r[0], "onStatus");
  EXPECT_EQ(a.args[0].get("level")->as_string(), "error");
  EXPECT_EQ(status_code(a), "NetStream.Publish.BadName");
  EXPECT_EQ(status_code(expect_command(r[1], "onStatus")), "NetStream.Play.StreamNotFound");
}

TEST(ServerSession, UnknownCommandsAndAmf3Commands) {
  Client c(false);
  connect(c);
  Bytes wire;
  c.command(wire, 0, "whatIsThis", 9, Value::make_null());
  c.command(wire, 0, "noReplyWanted", 0, Value::make_null());
  c.command(wire, 0, "_checkbw", 10, Value::make_null());
  Bytes amf3 = {0};
  const Bytes body = encode_command("createStream", 11, Value::make_null());
  amf3.insert(amf3.end(), body.begin(), body.end());
  c.message(wire, 3, message_type::kCommandAmf3, 0, 0, amf3);
  auto events = c.send(wire);
  EXPECT_TRUE(events.empty());
  auto r = c.take_replies();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(expect_command(r[0], "_error").transaction_id, 9);
  EXPECT_EQ(expect_command(r[1], "_result").transaction_id, 10);
  EXPECT_EQ(expect_command(r[2], "_result").transaction_id, 11);
}

TEST(ServerSession, MediaBeforeAcceptIsDropped) {
  Client c(false);
  connect(c);
  Bytes wire;
  c.command(wire, 1, "publish", 2, Value::make_null(), {Value::make_string("cam"), Value::make_string("live")});
  c.message(wire, 6, message_type::kVideo, 0, 1, Bytes{0x17, 1});
  auto events = c.send(wire);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<PublishEvent>(events[0]));
}

TEST(ServerSession, PublishBeforeConnectIsAProtocolError) {
  Client c(false);
  Bytes wire = c.handshake_bytes();
  c.command(wire, 1, "publish", 2, Value::make_null(), {Value::make_string("cam")});
  EXPECT_THROW(c.send(wire), ProtocolError);
}

TEST(ServerSession, HugeCommandIsAProtocolError) {
  Client c(false);
  Bytes wire = c.handshake_bytes();
  c.command(wire, 0, "connect", 1, Value::make_null(), {Value::make_strict_array(std::vector<Value>(70000))});
  EXPECT_THROW(c.send(wire), ProtocolError);
}

TEST(ServerSession, GarbageAfterHandshakeThrowsOrIsIgnored) {
  std::uint32_t seed = 777;
  auto next = [&] { return seed = seed * 1103515245 + 12345, std::uint8_t(seed >> 16); };
  for (int round = 0; round < 300; ++round) {
    Client c(false);
    Bytes wire = c.handshake_bytes();
    for (int i = 0; i < 3000; ++i) wire.push_back(next());
    try {
      c.send(wire);
    } catch (const ParseError&) {
    } catch (const ProtocolError&) {
    }
  }
}

TEST(ServerSession, MutatedScriptNeverCrashes) {
  // Valid session bytes with single bytes flipped: exercises deeper parser states than pure noise.
  Client base(false);
  Bytes script = base.handshake_bytes();
  base.command(script, 0, "connect", 1, connect_object("live", "rtmp://h/live"));
  base.command(script, 0, "createStream", 2, Value::make_null());
  Bytes meta;
  amf0::encode_string(meta, "@setDataFrame");
  amf0::encode_string(meta, "onMetaData");
  amf0::encode(meta, Value::make_ecma_array({{"w", Value::make_number(1)}}));
  base.message(script, 4, message_type::kDataAmf0, 0, 1, meta);
  std::uint32_t seed = 99;
  auto next = [&] { return seed = seed * 1103515245 + 12345, seed >> 8; };
  for (int round = 0; round < 500; ++round) {
    Bytes wire = script;
    for (int k = 0; k < 3; ++k) wire[kHandshakeReply - 1 + next() % (wire.size() - kHandshakeReply + 1)] ^= std::uint8_t(next());
    ServerSession session;
    std::vector<Event> events;
    try {
      session.feed(wire, events);
    } catch (const ParseError&) {
    } catch (const ProtocolError&) {
    }
  }
}

bool contains_text(const std::vector<Message>& replies, std::string_view text) {
  for (const auto& m : replies) {
    const std::string_view body(reinterpret_cast<const char*>(m.body.data()), m.body.size());
    if (body.find(text) != std::string_view::npos) return true;
  }
  return false;
}

void send_publish_commands(Client& c, std::string_view full_name) {
  Bytes wire;
  c.command(wire, 0, "releaseStream", 2, Value::make_null(), {Value::make_string(std::string(full_name))});
  c.command(wire, 0, "FCPublish", 3, Value::make_null(), {Value::make_string(std::string(full_name))});
  c.command(wire, 0, "createStream", 4, Value::make_null());
  c.command(wire, 1, "publish", 5, Value::make_null(),
            {Value::make_string(std::string(full_name)), Value::make_string("live")});
  c.send(wire);
}

TEST(ServerSession, RefusedPublishHearsNoSuccessFirst) {
  Client c(false);
  connect(c);
  send_publish_commands(c, "cam?txSecret=5ec7e7&txTime=7FFFFFFF");
  auto r = c.take_replies();
  EXPECT_FALSE(contains_text(r, "NetStream.Publish.Start"));  // nothing decided yet
  c.session.reject_publish(1, "NetStream.Publish.Rejected", "push auth failed");
  c.pump();
  const auto refusal = c.take_replies();
  r.insert(r.end(), refusal.begin(), refusal.end());
  EXPECT_FALSE(contains_text(r, "NetStream.Publish.Start"));
  EXPECT_FALSE(contains_text(r, "5ec7e7"));
  ASSERT_FALSE(refusal.empty());
  EXPECT_EQ(status_code(expect_command(refusal.back(), "onStatus")), "NetStream.Publish.Rejected");
}

TEST(ServerSession, AcceptedPublishNeverEchoesTheQuery) {
  Client c(false);
  connect(c);
  send_publish_commands(c, "cam?txSecret=5ec7e7&txTime=7FFFFFFF");
  auto r = c.take_replies();
  // The owner passes the full name by mistake: the replies still carry the name alone.
  c.session.accept_publish(1, "cam?txSecret=5ec7e7&txTime=7FFFFFFF");
  c.pump();
  const auto accepted = c.take_replies();
  r.insert(r.end(), accepted.begin(), accepted.end());
  EXPECT_FALSE(contains_text(r, "5ec7e7"));
  EXPECT_FALSE(contains_text(r, "txTime"));
  ASSERT_EQ(accepted.size(), 2u);
  const Command fc = expect_command(accepted[0], "onFCPublish");
  EXPECT_EQ(status_code(fc), "NetStream.Publish.Start");
  EXPECT_EQ(fc.args.at(0).get("description")->as_string(), "cam");
  EXPECT_EQ(status_code(expect_command(accepted[1], "onStatus")), "NetStream.Publish.Start");
}

TEST(ServerSession, PlayRepliesNeverEchoTheQuery) {
  Client c(false);
  connect(c);
  c.session.accept_play(1, "cam?txSecret=5ec7e7");
  c.session.end_play(1, "cam?txSecret=5ec7e7");
  c.pump();
  const auto r = c.take_replies();
  EXPECT_FALSE(r.empty());
  EXPECT_FALSE(contains_text(r, "5ec7e7"));
}

TEST(ServerSession, UnknownCommandNameIsCutInItsError) {
  Client c(false);
  connect(c);
  Bytes wire;
  c.command(wire, 0, std::string(30000, 'x'), 9, Value::make_null());
  c.send(wire);
  const auto r = c.take_replies();
  ASSERT_EQ(r.size(), 1u);
  const Command error = expect_command(r[0], "_error");
  EXPECT_LT(error.args.at(0).get("description")->as_string().size(), 200u);
  EXPECT_LT(r[0].body.size(), 400u);
}

}  // namespace
}  // namespace liveorigin::rtmp
