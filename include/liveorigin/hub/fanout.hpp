// The players of one stream on one loop. Each packet is stored once, in a ring the loop's players
// share, and every player reads it from there at its own position (its PlayerFeed). So a packet
// costs a player nothing until the player writes: no copy, no reference count and no call per
// player per packet. Packets leave the ring once every player has read them.
//
// Drop policy: a slow player never makes the server buffer without bound and never slows the
// others. When a player's unread media spans more than max_duration (or exceeds max_bytes), it
// skips everything unread except metadata and sequence headers, and its video resumes at the next
// key frame. Video before the first key frame is never sent, so every player starts on a decodable
// picture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "liveorigin/media/packet.hpp"

namespace liveorigin::hub {

class Loop;
class PlayerFeed;

// What reads a feed: a player connection (net::Sender). Called on the loop it subscribed from.
class FeedReader {
 public:
  virtual ~FeedReader() = default;
  virtual PlayerFeed& feed() = 0;
  // There are packets to read, or the stream has ended (feed().ended()).
  virtual void on_feed() = 0;
};

class Fanout : public std::enable_shared_from_this<Fanout> {
 public:
  // How much of a reader's state, from its feed on, a pass prefetches: a reader keeps what it
  // touches at every write right after its PlayerFeed member (net::Sender does).
  static constexpr std::size_t kReaderPrefetchBytes = 448;

  explicit Fanout(Loop& loop);
  ~Fanout();
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  // On the loop. The readers are told at the loop's next write tick (at once without batching).
  void deliver(const media::PacketPtr& packet);
  // The stream ended: every reader is told now, and reads what is left.
  void end();
  // The feed starts with `start` (the stream's cached start), then reads live packets from here.
  void join(PlayerFeed& feed, std::vector<media::PacketPtr> start);

  std::size_t readers() const;
  std::size_t packets_held() const { return ring_.size(); }

 private:
  friend class PlayerFeed;
  struct Entry {
    media::PacketPtr packet;
    std::uint64_t offset;  // bytes of the stream before this packet
  };

  // Tells this tick's readers (one group: Loop::write_phases), starting at a random one so that
  // no viewer is always served last.
  void pass();
  void compact();  // drops the slots of readers that left during a pass
  void leave(PlayerFeed& feed);
  const Entry& at(std::uint64_t seq) const { return ring_[seq - first_seq_]; }
  std::uint64_t end_seq() const { return first_seq_ + ring_.size(); }

  Loop& loop_;
  std::deque<Entry> ring_;  // references stay valid while packets are appended
  std::uint64_t first_seq_ = 0;
  std::uint64_t end_offset_ = 0;
  // The readers, in one group per write phase, woken one group per tick. A feed stays in its
  // group (so each group's marks below stay true) and leaves in its destructor; its slot is null
  // while a pass runs.
  std::vector<std::vector<PlayerFeed*>> groups_;
  std::size_t next_group_ = 0;
  std::vector<std::uint64_t> group_keep_;  // per group: the oldest packet its readers still need
  std::vector<std::uint64_t> group_seen_;  // per group: the ring's end when its readers last woke
  bool passing_ = false;
  bool scheduled_ = false;
  bool ended_ = false;
  std::minstd_rand random_;
};

// One player's position in its stream.
class PlayerFeed {
 public:
  struct Options {
    std::uint32_t max_duration_ms = 4000;
    std::size_t max_bytes = 16u << 20;
  };

  PlayerFeed(FeedReader& reader, Options options);
  ~PlayerFeed();  // leaves the fanout
  PlayerFeed(const PlayerFeed&) = delete;
  PlayerFeed& operator=(const PlayerFeed&) = delete;

  // The next packet to write, or null. The pointer stays valid until the reader returns to its
  // loop; a writer that needs the packet longer copies the PacketPtr.
  const media::PacketPtr* peek();
  void pop();  // after peek() returned a packet
  // Reads nothing more and lets the ring go.
  void leave();
  // No packet follows (the stream ended, perhaps before this feed joined); what is unread stays.
  void end();

  bool ended() const { return ended_; }
  std::uint64_t dropped_packets() const { return dropped_packets_; }
  std::uint64_t skips() const { return skips_; }

 private:
  friend class Fanout;
  void enforce_limits();
  void skip_to_next_keyframe();
  std::size_t unread_bytes() const;
  const media::Packet* first_unread_media() const;
  const media::Packet* last_unread() const;
  bool ring_unread() const { return fanout_ && cursor_ < fanout_->end_seq(); }

  FeedReader& reader_;
  Options options_;
  std::shared_ptr<Fanout> fanout_;
  std::size_t group_ = 0;                  // in the fanout
  std::uint64_t cursor_ = 0;               // next ring packet to read
  std::vector<media::PacketPtr> backlog_;  // read before the ring: the stream's start, kept headers
  std::size_t backlog_next_ = 0;
  std::size_t backlog_bytes_ = 0;          // unread
  bool waiting_for_keyframe_ = true;
  bool ended_ = false;
  std::uint64_t dropped_packets_ = 0;
  std::uint64_t skips_ = 0;
};

}  // namespace liveorigin::hub
