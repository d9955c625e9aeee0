// The client side of one RTMP play connection as a pure codec: bytes in, events and bytes to send
// out. Handshake (digest, as Flash Player and ffmpeg send it), connect, createStream, play; then
// media, acknowledgements and ping answers. What a cluster node uses to pull a stream from its
// owner; the socket is the caller's.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "liveorigin/rtmp/chunk_reader.hpp"
#include "liveorigin/rtmp/chunk_writer.hpp"
#include "liveorigin/rtmp/handshake.hpp"
#include "liveorigin/rtmp/message.hpp"
#include "liveorigin/rtmp/server_session.hpp"

namespace liveorigin::rtmp {

struct PlayTarget {
  std::string app;     // connect's "app"
  std::string tc_url;  // rtmp://HOST:PORT/APP
  std::string stream;  // play's name, with its "?query" if any
};

struct PlayStartedEvent {};  // NetStream.Play.Start: media follows
// The server refused (connect or play), or the stream ended (UnpublishNotify, StreamEOF).
struct PlayStoppedEvent {
  bool refused = false;  // false: the stream ended after playing
  std::string code;      // NetStream.Play.StreamNotFound, NetConnection.Connect.Rejected, ...
  std::string description;
};
using ClientEvent = std::variant<PlayStartedEvent, PlayStoppedEvent, MediaEvent>;

class ClientSession {
 public:
  explicit ClientSession(PlayTarget target, Limits limits = {});

  // C0 + C1 go out first: call once after the TCP connect, then send take_output().
  void start();
  // Bytes from the server (any split). Throws ParseError/ProtocolError on malformed input; the
  // caller then closes the connection.
  void feed(ByteView data, std::vector<ClientEvent>& events);
  bool has_output() const { return !output_.empty(); }
  Bytes take_output();

  bool playing() const { return state_ == State::playing; }
  std::uint32_t stream_id() const { return stream_id_; }

 private:
  enum class State { idle, handshake, connecting, creating_stream, starting_play, playing, stopped };
  void feed_handshake(ByteView& data);
  void handle_message(Message& m, std::vector<ClientEvent>& events);
  void handle_command(const Message& m, std::vector<ClientEvent>& events);
  void handle_user_control(const Message& m, std::vector<ClientEvent>& events);
  void stop(std::vector<ClientEvent>& events, bool refused, std::string code, std::string description);
  void send(std::uint32_t csid, std::uint8_t type, std::uint32_t stream_id, Bytes body);
  void send_control(std::uint8_t type, std::uint32_t value);
  void send_command(std::uint32_t stream_id, std::string_view name, double transaction_id,
                    const amf0::Value& object, const std::vector<amf0::Value>& args = {});
  void maybe_acknowledge();

  PlayTarget target_;
  State state_ = State::idle;
  Bytes handshake_in_;       // S0 + S1 + S2 as they arrive
  Bytes c1_;
  ChunkReader reader_;
  ChunkWriter writer_;
  std::vector<Message> messages_;
  Bytes output_;
  std::uint64_t bytes_received_ = 0;
  std::uint64_t acknowledged_ = 0;
  std::uint32_t peer_window_ = kWindowAckSize;
  std::uint32_t stream_id_ = 0;
};

}  // namespace liveorigin::rtmp
