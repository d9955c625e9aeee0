// HLS segment availability, as a player sees it: after a publisher hands a video key frame to its
// socket, the watcher of that stream asks for the playlist again and again on one keep-alive HTTP
// connection (each request sent when the previous answer is in) until a segment newer than the
// last one it saw is listed. Key frame sent → that answer received is the delay recorded; it
// includes the server's segmenting, its playlist update and one HTTP round trip, and is high by at
// most one round trip (the previous poll just missed it). Polls go back to back for 200 ms after
// the key frame, then every 20 ms. A key frame that closes no segment (one shorter than the
// server's fragment) is superseded by the next one and counted apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clients.hpp"

namespace liveorigin::bench {

class PlaylistWatch : public Handler {
 public:
  PlaylistWatch(const Target& target, const Publisher& publisher);
  ~PlaylistWatch() override;

  void start(int epfd);
  // Called on the publisher's thread after it pumped: notices a key frame sent since the last call.
  void tick(std::int64_t now);
  void on_event(std::uint32_t events, std::int64_t now) override;

  // Key frames sent inside the window: delays of those that got a new segment listed.
  void set_recording(bool on) { recording_ = on; }
  const std::vector<double>& listed_ms() const { return listed_ms_; }
  std::uint64_t not_listed() const { return not_listed_; }  // superseded by the next key frame
  std::uint64_t requests() const { return requests_; }
  const std::string& error() const { return error_; }

 private:
  void request(std::int64_t now);
  void connect_now();
  void drop_connection();
  void on_readable(std::int64_t now);
  void on_response(int status, const std::string& body, std::int64_t now);

  const Target& target_;
  const Publisher& publisher_;
  std::string path_;
  int epfd_ = -1;
  bool connecting_ = false;
  bool in_flight_ = false;
  bool want_write_ = false;
  std::string out_;
  std::string in_;
  std::int64_t next_poll_ns_ = 0;     // a delayed poll (0: none)
  std::uint64_t keys_seen_ = 0;
  std::int64_t pending_key_ns_ = 0;   // key frame whose segment is awaited (0: none)
  bool pending_recorded_ = false;     // that key frame was sent inside the window
  std::int64_t last_seq_ = -1;        // newest segment listed in the last answer (-1: none yet)
  bool recording_ = false;
  std::vector<double> listed_ms_;
  std::uint64_t not_listed_ = 0;
  std::uint64_t requests_ = 0;
  std::string error_;
};

}  // namespace liveorigin::bench
