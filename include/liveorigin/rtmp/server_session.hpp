// The server side of one RTMP connection as a pure codec: bytes in, events and reply bytes out.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "liveorigin/media/packet.hpp"
#include "liveorigin/rtmp/chunk_reader.hpp"
#include "liveorigin/rtmp/chunk_writer.hpp"
#include "liveorigin/rtmp/command.hpp"
#include "liveorigin/rtmp/handshake.hpp"
#include "liveorigin/rtmp/message.hpp"
#include "liveorigin/common/query.hpp"

namespace liveorigin::rtmp {

// Window Acknowledgement Size and peer bandwidth we announce, and the peer's window until it says.
inline constexpr std::uint32_t kWindowAckSize = 2500000;

// What an enhanced RTMP client declares in connect: the codecs it supports (fourCcList and the
// keys of videoFourCcInfoMap / audioFourCcInfoMap, "*" included) and its capsEx flags.
struct ClientCapabilities {
  std::vector<std::string> fourccs;
  std::uint32_t caps_ex = 0;
  bool enhanced() const { return !fourccs.empty() || caps_ex != 0; }
};

struct ConnectEvent {
  std::string app;      // connect's "app" without "?query" (and without a trailing '/')
  std::string tc_url;   // as sent
  common::Query query;  // from tcUrl's and app's query parts (app's win on conflicts)
  ClientCapabilities capabilities;
};
struct PublishEvent {
  std::uint32_t stream_id = 0;
  std::string stream;   // publish name without its "?query"
  common::Query query;
  std::string publish_type;  // "live", "record", "append" (as sent; may be empty)
};
struct PlayEvent {
  std::uint32_t stream_id = 0;
  std::string stream;
  common::Query query;
};
struct MediaEvent {
  media::MediaType type = media::MediaType::data;
  std::uint32_t timestamp = 0;  // absolute, ms
  std::uint32_t stream_id = 0;
  Bytes body;                   // data: starts with "onMetaData" for @setDataFrame
};
struct CloseStreamEvent {
  std::uint32_t stream_id = 0;  // FCUnpublish, deleteStream, closeStream (once per publish/play)
};
using Event = std::variant<ConnectEvent, PublishEvent, PlayEvent, MediaEvent, CloseStreamEvent>;

class ServerSession {
 public:
  explicit ServerSession(Limits limits = {});

  // Consumes bytes received from the peer (any split, down to 1 byte at a time) and appends the
  // events they complete. Handshake replies, acknowledgements, ping replies and the automatic
  // command replies go to the output buffer. Throws ParseError/ProtocolError on malformed input;
  // the caller then closes the connection (the session is unusable afterwards).
  void feed(ByteView data, std::vector<Event>& events);
  bool has_output() const { return !output_.empty(); }
  Bytes take_output();  // bytes to send, in order; leaves the buffer empty
  std::uint64_t bytes_received() const { return bytes_received_; }

  bool handshake_done() const { return handshake_.done(); }
  bool connected() const { return connected_; }      // accept_connect was called
  // Chunk size of our output: 128 until accept_connect, kOutChunkSize after.
  std::uint32_t out_chunk_size() const { return out_chunk_size_; }

  // Replies the owner gives to events. A stream name given here is echoed without its "?query"
  // (which may carry txSecret), whatever the caller passes.
  void accept_connect();
  void reject_connect(std::string_view description);
  void accept_publish(std::uint32_t stream_id, std::string_view stream);
  void reject_publish(std::uint32_t stream_id, std::string_view code, std::string_view description);
  void accept_play(std::uint32_t stream_id, std::string_view stream);
  void reject_play(std::uint32_t stream_id, std::string_view code, std::string_view description);
  void end_play(std::uint32_t stream_id, std::string_view stream);

  // The enhanced RTMP codecs this server forwards (fourCcList, the info maps, capsEx): in its
  // connect answer, and in connect when a node plays from another (the client session).
  static void add_enhanced_capabilities(amf0::Value& props);

 private:
  void handle_message(Message& m, std::vector<Event>& events);
  void handle_user_control(const Message& m);
  void handle_data(Message& m, std::vector<Event>& events);
  void handle_aggregate(const Message& m, std::vector<Event>& events);
  void handle_command(const Message& m, std::vector<Event>& events);
  void handle_connect(const Command& c, std::vector<Event>& events);
  void close_stream(std::uint32_t stream_id, std::vector<Event>& events);
  void maybe_acknowledge();

  void send(std::uint32_t csid, std::uint8_t type, std::uint32_t stream_id, Bytes body);
  void send_control(std::uint8_t type, std::uint32_t value);
  void send_user_control(std::uint16_t event, std::uint32_t value);
  void send_command(std::uint32_t stream_id, std::string_view name, double transaction_id,
                    const amf0::Value& object, const std::vector<amf0::Value>& args = {});
  void send_status(std::uint32_t stream_id, std::string_view level, std::string_view code,
                   std::string_view description, std::string_view details = {});

  Limits limits_;
  handshake::ServerHandshake handshake_;
  ChunkReader reader_;
  std::vector<Message> messages_;  // scratch, reused between feeds
  Bytes output_;
  std::uint32_t out_chunk_size_ = kDefaultChunkSize;

  std::uint64_t bytes_received_ = 0;
  std::uint64_t acknowledged_ = 0;        // bytes_received_ when we last sent an Acknowledgement
  std::uint32_t peer_window_ = kWindowAckSize;

  bool connect_seen_ = false;
  bool connected_ = false;
  bool fc_publish_seen_ = false;  // FCPublish came: accept_publish answers it with onFCPublish
  double connect_transaction_ = 1;
  double object_encoding_ = 0;
  std::uint32_t next_stream_id_ = 1;
  std::map<std::uint32_t, std::string> active_streams_;  // published or played: id → name
  std::set<std::uint32_t> publishing_;                   // accept_publish given: media flows
};

}  // namespace liveorigin::rtmp
