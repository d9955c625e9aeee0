#include "liveorigin/rtmp/server_session.hpp"

#include <string>

namespace liveorigin::rtmp {

namespace {

constexpr std::uint8_t kPeerBandwidthDynamic = 2;
constexpr std::string_view kSetDataFrame = "@setDataFrame";
constexpr std::string_view kClearDataFrame = "@clearDataFrame";
constexpr std::size_t kFlvTagHeaderSize = 11;
// Commands are small (connect is under 4 KiB); decoded AMF0 takes up to ~100x its wire size, so a
// huge command would be an allocation bomb.
constexpr std::size_t kMaxCommandSize = 64 * 1024;

// The leading AMF0 string of a data message, without decoding the rest (which may be anything).
std::optional<std::string_view> leading_string(ByteView body) {
  if (body.size() < 3 || body[0] != 0x02) return std::nullopt;
  const std::size_t n = std::size_t(body[1]) << 8 | body[2];
  if (body.size() < 3 + n) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(body.data() + 3), n);
}

bool is_media_type(std::uint8_t type) {
  return type == message_type::kAudio || type == message_type::kVideo || type == message_type::kDataAmf0 ||
         type == message_type::kDataAmf3;
}

}  // namespace

ServerSession::ServerSession(Limits limits) : limits_(limits), reader_(limits) {}

Bytes ServerSession::take_output() {
  Bytes out;
  out.swap(output_);
  return out;
}

void ServerSession::feed(ByteView data, std::vector<Event>& events) {
  bytes_received_ += data.size();
  if (!handshake_.done()) {
    const std::size_t used = handshake_.feed(data, output_);
    data = data.subspan(used);
    if (!handshake_.done()) return;
  }
  messages_.clear();
  reader_.feed(data, messages_);
  for (auto& m : messages_) handle_message(m, events);
  messages_.clear();
  maybe_acknowledge();
}

void ServerSession::maybe_acknowledge() {
  if (!handshake_.done() || bytes_received_ - acknowledged_ < peer_window_) return;
  acknowledged_ = bytes_received_;
  send_control(message_type::kAcknowledgement, static_cast<std::uint32_t>(bytes_received_));
}

void ServerSession::handle_message(Message& m, std::vector<Event>& events) {
  switch (m.type) {
    case message_type::kWindowAckSize: {
      ByteReader r(m.body);
      const std::uint32_t window = r.u32be();
      if (window > 0) peer_window_ = window;
      return;
    }
    case message_type::kUserControl: handle_user_control(m); return;
    case message_type::kAcknowledgement:
    case message_type::kSetPeerBandwidth: return;  // we do not throttle our output by them
    case message_type::kCommandAmf0:
    case message_type::kCommandAmf3:
      if (m.body.size() > kMaxCommandSize) throw ProtocolError("rtmp: command message too large");
      handle_command(m, events);
      return;
    case message_type::kAggregate: handle_aggregate(m, events); return;
    default: break;
  }
  if (is_media_type(m.type)) handle_data(m, events);
  // Shared objects and unknown types are ignored.
}

void ServerSession::handle_user_control(const Message& m) {
  ByteReader r(m.body);
  const std::uint16_t event = r.u16be();
  if (event == user_control::kPingRequest) send_user_control(user_control::kPingResponse, r.u32be());
  // SetBufferLength, PingResponse and the rest need no answer.
}

// Audio, video and data messages; media of streams not accepted for publishing is dropped.
void ServerSession::handle_data(Message& m, std::vector<Event>& events) {
  if (!publishing_.contains(m.stream_id)) return;
  MediaEvent e;
  e.timestamp = m.timestamp;
  e.stream_id = m.stream_id;
  if (m.type == message_type::kAudio || m.type == message_type::kVideo) {
    e.type = m.type == message_type::kAudio ? media::MediaType::audio : media::MediaType::video;
    e.body = std::move(m.body);
    events.emplace_back(std::move(e));
    return;
  }
  e.type = media::MediaType::data;
  ByteView body(m.body);
  if (m.type == message_type::kDataAmf3) {
    if (!body.empty() && body[0] == 0) body = body.subspan(1);
    if (body.empty() || body[0] != 0x02) return;  // real AMF3 data: we cannot convert it
  }
  const auto name = leading_string(body);
  if (!name) return;  // a data message must start with its handler name
  if (*name == kClearDataFrame) return;
  if (*name == kSetDataFrame) {
    body = body.subspan(3 + name->size());  // keep the rest byte for byte: "onMetaData", {...}
    if (!leading_string(body)) return;
  }
  e.body.assign(body.begin(), body.end());
  events.emplace_back(std::move(e));
}

// Type 22: a run of FLV tags (header, body, previous-tag-size) whose timestamps are relative to
// the first tag's, on top of the aggregate message's own timestamp.
void ServerSession::handle_aggregate(const Message& m, std::vector<Event>& events) {
  ByteReader r(m.body);
  bool first = true;
  std::uint32_t base = 0;
  while (r.remaining() >= kFlvTagHeaderSize) {
    Message sub;
    sub.type = r.u8();
    const std::uint32_t size = r.u24be();
    std::uint32_t ts = r.u24be();
    ts |= std::uint32_t(r.u8()) << 24;
    r.skip(3);  // stream id, always 0 in tags
    const ByteView body = r.bytes(size);
    if (r.remaining() >= 4) r.skip(4);
    if (first) base = ts;
    first = false;
    sub.chunk_stream_id = m.chunk_stream_id;
    sub.stream_id = m.stream_id;
    sub.timestamp = m.timestamp + (ts - base);
    sub.body.assign(body.begin(), body.end());
    if (is_media_type(sub.type)) handle_data(sub, events);
  }
}

void ServerSession::send(std::uint32_t csid, std::uint8_t type, std::uint32_t stream_id, Bytes body) {
  Message m;
  m.chunk_stream_id = csid;
  m.type = type;
  m.stream_id = stream_id;
  m.body = std::move(body);
  write_message(output_, m, out_chunk_size_);
}

void ServerSession::send_control(std::uint8_t type, std::uint32_t value) {
  Bytes body;
  ByteWriter(body).u32be(value);
  send(chunk_stream::kControl, type, 0, std::move(body));
}

void ServerSession::send_user_control(std::uint16_t event, std::uint32_t value) {
  Bytes body;
  ByteWriter w(body);
  w.u16be(event);
  w.u32be(value);
  send(chunk_stream::kControl, message_type::kUserControl, 0, std::move(body));
}

void ServerSession::send_command(std::uint32_t stream_id, std::string_view name, double transaction_id,
                                 const amf0::Value& object, const std::vector<amf0::Value>& args) {
  send(chunk_stream::kCommand, message_type::kCommandAmf0, stream_id,
       encode_command(name, transaction_id, object, args));
}

void ServerSession::send_status(std::uint32_t stream_id, std::string_view level, std::string_view code,
                                std::string_view description, std::string_view details) {
  amf0::Value info = status_object(level, code, description);
  if (!details.empty()) info.set("details", amf0::Value::make_string(std::string(details)));
  send_command(stream_id, "onStatus", 0, amf0::Value::make_null(), {std::move(info)});
}

namespace {
// Enhanced RTMP: the FourCCs this server forwards to its players as received, and what it parses.
constexpr const char* kForwardedVideo[] = {"avc1", "hvc1", "av01", "vp09"};
constexpr const char* kForwardedAudio[] = {"mp4a", ".mp3", "Opus", "ac-3", "ec-3", "fLaC"};
constexpr double kCanForward = 0x04;
constexpr double kCapsExMultitrackModEx = 0x02 | 0x04;
}  // namespace

void ServerSession::add_enhanced_capabilities(amf0::Value& props) {
  auto list = amf0::Value::make_strict_array();
  auto video = amf0::Value::make_object();
  auto audio = amf0::Value::make_object();
  for (const char* f : kForwardedVideo) {
    list.elements.push_back(amf0::Value::make_string(f));
    video.set(f, amf0::Value::make_number(kCanForward));
  }
  for (const char* f : kForwardedAudio) {
    list.elements.push_back(amf0::Value::make_string(f));
    audio.set(f, amf0::Value::make_number(kCanForward));
  }
  props.set("fourCcList", std::move(list));
  props.set("videoFourCcInfoMap", std::move(video));
  props.set("audioFourCcInfoMap", std::move(audio));
  props.set("capsEx", amf0::Value::make_number(kCapsExMultitrackModEx));
}

void ServerSession::accept_connect() {
  connected_ = true;
  send_control(message_type::kWindowAckSize, kWindowAckSize);
  {
    Bytes body;
    ByteWriter w(body);
    w.u32be(kWindowAckSize);
    w.u8(kPeerBandwidthDynamic);
    send(chunk_stream::kControl, message_type::kSetPeerBandwidth, 0, std::move(body));
  }
  send_control(message_type::kSetChunkSize, kOutChunkSize);
  out_chunk_size_ = kOutChunkSize;  // applies to everything after the Set Chunk Size message

  auto props = amf0::Value::make_object({
      {"fmsVer", amf0::Value::make_string("FMS/3,5,7,7009")},
      {"capabilities", amf0::Value::make_number(31)},
      {"mode", amf0::Value::make_number(1)},
  });
  add_enhanced_capabilities(props);
  amf0::Value info = status_object("status", "NetConnection.Connect.Success", "Connection succeeded.");
  info.set("objectEncoding", amf0::Value::make_number(object_encoding_));
  send_command(0, "_result", connect_transaction_, props, {std::move(info)});
}

void ServerSession::reject_connect(std::string_view description) {
  send_command(0, "_error", connect_transaction_, amf0::Value::make_null(),
               {status_object("error", "NetConnection.Connect.Rejected", description)});
}

void ServerSession::accept_publish(std::uint32_t stream_id, std::string_view full_name) {
  const std::string_view stream = common::split_query(full_name).first;
  publishing_.insert(stream_id);
  if (fc_publish_seen_) {
    fc_publish_seen_ = false;
    send_command(0, "onFCPublish", 0, amf0::Value::make_null(),
                 {status_object("status", "NetStream.Publish.Start", stream)});
  }
  send_status(stream_id, "status", "NetStream.Publish.Start", std::string(stream) + " is now published.",
              stream);
}

void ServerSession::reject_publish(std::uint32_t stream_id, std::string_view code, std::string_view description) {
  publishing_.erase(stream_id);
  active_streams_.erase(stream_id);
  send_status(stream_id, "error", code, description);
}

void ServerSession::accept_play(std::uint32_t stream_id, std::string_view full_name) {
  const std::string_view stream = common::split_query(full_name).first;
  send_user_control(user_control::kStreamBegin, stream_id);
  send_status(stream_id, "status", "NetStream.Play.Reset", "Playing and resetting " + std::string(stream) + ".",
              stream);
  send_status(stream_id, "status", "NetStream.Play.Start", "Started playing " + std::string(stream) + ".",
              stream);
  // No |RtmpSampleAccess or NetStream.Data.Start data messages: only Flash wanted them, and
  // ffmpeg-based players turn them into a spurious data track.
}

void ServerSession::reject_play(std::uint32_t stream_id, std::string_view code, std::string_view description) {
  active_streams_.erase(stream_id);
  send_status(stream_id, "error", code, description);
}

void ServerSession::end_play(std::uint32_t stream_id, std::string_view full_name) {
  const std::string_view stream = common::split_query(full_name).first;
  send_status(stream_id, "status", "NetStream.Play.UnpublishNotify", std::string(stream) + " is now unpublished.",
              stream);
  send_user_control(user_control::kStreamEof, stream_id);
}

}  // namespace liveorigin::rtmp
