#include "liveorigin/rtmp/client_session.hpp"

#include <algorithm>

#include "liveorigin/rtmp/command.hpp"

namespace liveorigin::rtmp {

namespace {

constexpr double kConnectTransaction = 1;
constexpr double kCreateStreamTransaction = 2;
constexpr std::uint32_t kBufferLengthMs = 1000;
constexpr std::size_t kMaxCommandSize = 64 * 1024;  // as the server: a command is small

std::string info_text(const Command& c, const char* name) {
  for (const auto& arg : c.args) {
    if (const auto* v = arg.get(name)) return v->as_string();
  }
  return {};
}

}  // namespace

ClientSession::ClientSession(PlayTarget target, Limits limits)
    : target_(std::move(target)), reader_(limits), writer_(kDefaultChunkSize) {}

Bytes ClientSession::take_output() {
  Bytes out;
  out.swap(output_);
  return out;
}

void ClientSession::start() {
  if (state_ != State::idle) return;
  state_ = State::handshake;
  c1_ = handshake::make_c1(handshake::Schema::schema1);
  output_.push_back(handshake::kVersion);
  output_.insert(output_.end(), c1_.begin(), c1_.end());
}

// S0 + S1 + S2, then C2 (answering S1's digest when it has one, else echoing S1) and connect.
void ClientSession::feed_handshake(ByteView& data) {
  constexpr std::size_t kWanted = 1 + 2 * handshake::kPacketSize;
  const std::size_t n = std::min(kWanted - handshake_in_.size(), data.size());
  handshake_in_.insert(handshake_in_.end(), data.begin(), data.begin() + n);
  data = data.subspan(n);
  if (!handshake_in_.empty() && handshake_in_[0] != handshake::kVersion)
    throw ProtocolError("rtmp handshake: the server answered version " + std::to_string(handshake_in_[0]));
  if (handshake_in_.size() < kWanted) return;
  const ByteView s1 = ByteView(handshake_in_).subspan(1, handshake::kPacketSize);
  Bytes c2(s1.begin(), s1.end());
  if (const auto schema = handshake::find_digest(s1, handshake::server_key_open())) {
    handshake::random_fill(c2);
    const auto offset = handshake::digest_offset(s1, *schema);
    handshake::sign_response(c2, s1.subspan(offset, handshake::kDigestSize), handshake::player_key());
  }
  output_.insert(output_.end(), c2.begin(), c2.end());
  handshake_in_ = Bytes{};
  c1_ = Bytes{};

  send_control(message_type::kSetChunkSize, kOutChunkSize);
  writer_.set_chunk_size(kOutChunkSize);
  auto object = amf0::Value::make_object({
      {"app", amf0::Value::make_string(target_.app)},
      {"type", amf0::Value::make_string("nonprivate")},
      {"flashVer", amf0::Value::make_string("LNX 9,0,124,2")},
      {"tcUrl", amf0::Value::make_string(target_.tc_url)},
      {"fpad", amf0::Value::make_boolean(false)},
      {"capabilities", amf0::Value::make_number(15)},
      {"audioCodecs", amf0::Value::make_number(4071)},
      {"videoCodecs", amf0::Value::make_number(252)},
      {"videoFunction", amf0::Value::make_number(1)},
  });
  ServerSession::add_enhanced_capabilities(object);
  send_command(0, "connect", kConnectTransaction, object);
  state_ = State::connecting;
}

void ClientSession::feed(ByteView data, std::vector<ClientEvent>& events) {
  bytes_received_ += data.size();
  if (state_ == State::idle) throw ProtocolError("rtmp client: bytes before start()");
  if (state_ == State::handshake) {
    feed_handshake(data);
    if (state_ == State::handshake) return;
  }
  messages_.clear();
  reader_.feed(data, messages_);
  for (auto& m : messages_) {
    if (state_ == State::stopped) break;
    handle_message(m, events);
  }
  messages_.clear();
  maybe_acknowledge();
}

void ClientSession::maybe_acknowledge() {
  if (bytes_received_ - acknowledged_ < peer_window_) return;
  acknowledged_ = bytes_received_;
  send_control(message_type::kAcknowledgement, static_cast<std::uint32_t>(bytes_received_));
}

void ClientSession::handle_message(Message& m, std::vector<ClientEvent>& events) {
  switch (m.type) {
    case message_type::kWindowAckSize: {
      ByteReader r(m.body);
      if (const std::uint32_t window = r.u32be(); window > 0) peer_window_ = window;
      return;
    }
    case message_type::kUserControl: handle_user_control(m, events); return;
    case message_type::kCommandAmf0:
    case message_type::kCommandAmf3:
      if (m.body.size() > kMaxCommandSize) throw ProtocolError("rtmp: command message too large");
      handle_command(m, events);
      return;
    case message_type::kAudio:
    case message_type::kVideo:
    case message_type::kDataAmf0: {
      if (state_ != State::playing || m.stream_id != stream_id_) return;
      MediaEvent e;
      e.type = m.type == message_type::kAudio   ? media::MediaType::audio
               : m.type == message_type::kVideo ? media::MediaType::video
                                                : media::MediaType::data;
      e.timestamp = m.timestamp;
      e.stream_id = m.stream_id;
      e.body = std::move(m.body);
      events.emplace_back(std::move(e));
      return;
    }
    default: return;  // acknowledgements, peer bandwidth, aggregates and shared objects: not used
  }
}

void ClientSession::handle_user_control(const Message& m, std::vector<ClientEvent>& events) {
  ByteReader r(m.body);
  const std::uint16_t event = r.u16be();
  if (event == user_control::kPingRequest) {
    Bytes body;
    ByteWriter w(body);
    w.u16be(user_control::kPingResponse);
    w.u32be(r.u32be());
    send(chunk_stream::kControl, message_type::kUserControl, 0, std::move(body));
  } else if (event == user_control::kStreamEof && state_ == State::playing && r.u32be() == stream_id_) {
    stop(events, false, "StreamEOF", "the stream ended");
  }
}

void ClientSession::handle_command(const Message& m, std::vector<ClientEvent>& events) {
  const auto command = parse_command(m);
  if (!command) return;
  const auto& c = *command;
  if (c.name == "_error") {
    const auto code = info_text(c, "code");
    stop(events, true, code.empty() ? "_error" : code, info_text(c, "description"));
    return;
  }
  if (c.name == "_result" && state_ == State::connecting && c.transaction_id == kConnectTransaction) {
    send_control(message_type::kWindowAckSize, kWindowAckSize);
    send_command(0, "createStream", kCreateStreamTransaction, amf0::Value::make_null());
    state_ = State::creating_stream;
    return;
  }
  if (c.name == "_result" && state_ == State::creating_stream && c.transaction_id == kCreateStreamTransaction) {
    if (c.args.empty() || !c.args[0].is_number() || c.args[0].number < 1)
      throw ProtocolError("rtmp client: createStream answered no stream id");
    stream_id_ = static_cast<std::uint32_t>(c.args[0].number);
    // Start -1: the live stream only (no recording to fall back to).
    send_command(stream_id_, "play", 0, amf0::Value::make_null(),
                 {amf0::Value::make_string(target_.stream), amf0::Value::make_number(-1)});
    Bytes body;
    ByteWriter w(body);
    w.u16be(user_control::kSetBufferLength);
    w.u32be(stream_id_);
    w.u32be(kBufferLengthMs);
    send(chunk_stream::kControl, message_type::kUserControl, 0, std::move(body));
    state_ = State::starting_play;
    return;
  }
  if (c.name != "onStatus") return;
  const auto code = info_text(c, "code");
  const auto description = info_text(c, "description");
  if (code == "NetStream.Play.Start" && state_ == State::starting_play) {
    state_ = State::playing;
    events.emplace_back(PlayStartedEvent{});
  } else if (code == "NetStream.Play.UnpublishNotify" || code == "NetStream.Play.Stop") {
    stop(events, state_ != State::playing, code, description);
  } else if (info_text(c, "level") == "error") {
    stop(events, state_ != State::playing, code, description);
  }
}

void ClientSession::stop(std::vector<ClientEvent>& events, bool refused, std::string code, std::string description) {
  if (state_ == State::stopped) return;
  state_ = State::stopped;
  events.emplace_back(PlayStoppedEvent{refused, std::move(code), std::move(description)});
}

void ClientSession::send(std::uint32_t csid, std::uint8_t type, std::uint32_t stream_id, Bytes body) {
  writer_.write(output_, Message{csid, type, 0, stream_id, std::move(body)});
}

void ClientSession::send_control(std::uint8_t type, std::uint32_t value) {
  Bytes body;
  ByteWriter w(body);
  w.u32be(value);
  send(chunk_stream::kControl, type, 0, std::move(body));
}

void ClientSession::send_command(std::uint32_t stream_id, std::string_view name, double transaction_id,
                                 const amf0::Value& object, const std::vector<amf0::Value>& args) {
  send(chunk_stream::kCommand, message_type::kCommandAmf0, stream_id,
       encode_command(name, transaction_id, object, args));
}

}  // namespace liveorigin::rtmp
