#include "liveorigin/hub/fanout.hpp"

#include <algorithm>

#include "liveorigin/hub/loop.hpp"

namespace liveorigin::hub {

namespace {
// Metadata and sequence headers survive a skip: the media after them needs them to decode.
bool is_header(const media::Packet& p) {
  return p.track_config || p.type == media::MediaType::data;
}

// Asks the CPU for a reader's state before the pass reaches it: with thousands of players each
// reader's object has left the cache since its last visit. (On the paravirtualised benchmark VM
// the first touch still costs ~370 ns per visit, most likely address translation after the
// previous player's syscall, which a prefetch cannot hide: docs/performance.md, "Profile".)
void prefetch_reader(const PlayerFeed* feed) {
  if (!feed) return;
  const char* base = reinterpret_cast<const char*>(feed) - 64;  // the reader's vtable pointer
  for (std::size_t offset = 0; offset < 64 + Fanout::kReaderPrefetchBytes; offset += 64) {
    __builtin_prefetch(base + offset, 1);
  }
}
}  // namespace

Fanout::Fanout(Loop& loop)
    : loop_(loop),
      groups_(std::max<std::size_t>(1, loop.write_phases())),
      group_keep_(groups_.size(), 0),
      group_seen_(groups_.size(), 0),
      random_(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(this))) {}

std::size_t Fanout::readers() const {
  std::size_t n = 0;
  for (const auto& group : groups_) n += group.size();
  return n;
}

Fanout::~Fanout() = default;

void Fanout::deliver(const media::PacketPtr& packet) {
  if (ended_) return;
  ring_.push_back({packet, end_offset_});
  end_offset_ += packet->flv_tag.size();
  if (readers() == 0) {
    // Nobody reads here: a reader that joins later starts after this packet anyway.
    first_seq_ = end_seq();
    ring_.clear();
    return;
  }
  if (scheduled_) return;
  scheduled_ = true;
  loop_.at_next_write_tick([self = shared_from_this()] { self->pass(); });
}

void Fanout::pass() {
  scheduled_ = false;
  // This tick's group of players, starting at a random one of them.
  const std::size_t g = next_group_++ % groups_.size();
  std::vector<PlayerFeed*>& group = groups_[g];
  const std::size_t count = group.size();
  const std::size_t start = count > 1 ? std::uniform_int_distribution<std::size_t>(0, count - 1)(random_) : 0;
  constexpr std::size_t kAhead = 2;
  passing_ = true;
  std::uint64_t keep = end_seq();
  for (std::size_t i = 0; i < std::min(count, kAhead); ++i) prefetch_reader(group[(start + i) % count]);
  for (std::size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) prefetch_reader(group[(start + i + kAhead) % count]);
    const std::size_t index = (start + i) % count;
    if (!group[index]) continue;
    group[index]->enforce_limits();
    group[index]->reader_.on_feed();
    if (group[index]) keep = std::min(keep, group[index]->cursor_);  // it may have left
  }
  passing_ = false;
  compact();
  group_keep_[g] = keep;
  group_seen_[g] = end_seq();
  // Every reader is past these packets (a writer still sending one holds its own reference).
  // Groups keep their members for good, so each group's mark holds until its next pass.
  const std::uint64_t release = *std::min_element(group_keep_.begin(), group_keep_.end());
  while (first_seq_ < release) {
    ring_.pop_front();
    ++first_seq_;
  }
  // The other groups have not seen the newest packets yet: they are next.
  if (*std::min_element(group_seen_.begin(), group_seen_.end()) < end_seq()) {
    scheduled_ = true;
    loop_.at_next_write_tick([self = shared_from_this()] { self->pass(); });
  }
}

void Fanout::compact() {
  for (auto& group : groups_) std::erase(group, nullptr);
}

void Fanout::end() {
  if (ended_) return;
  ended_ = true;
  passing_ = true;
  for (auto& group : groups_) {
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (!group[i]) continue;
      group[i]->end();
      group[i]->reader_.on_feed();
    }
  }
  passing_ = false;
  compact();
}

void Fanout::join(PlayerFeed& feed, std::vector<media::PacketPtr> start) {
  feed.leave();
  feed.fanout_ = shared_from_this();
  feed.cursor_ = end_seq();
  feed.backlog_ = std::move(start);
  feed.backlog_next_ = 0;
  feed.backlog_bytes_ = 0;
  for (const auto& packet : feed.backlog_) feed.backlog_bytes_ += packet->flv_tag.size();
  // The smallest group; a feed stays in its group until it leaves.
  feed.group_ = std::min_element(groups_.begin(), groups_.end(),
                                 [](const auto& a, const auto& b) { return a.size() < b.size(); }) -
                groups_.begin();
  groups_[feed.group_].push_back(&feed);
  if (ended_) feed.end();
  feed.enforce_limits();
  // The start of the stream is written now: a viewer's picture should not wait for a tick.
  feed.reader_.on_feed();
}

void Fanout::leave(PlayerFeed& feed) {
  auto& group = groups_[feed.group_];
  auto it = std::find(group.begin(), group.end(), &feed);
  if (it == group.end()) return;
  if (passing_) {
    *it = nullptr;  // the pass in progress skips it and compacts afterwards
  } else {
    *it = group.back();
    group.pop_back();
  }
}

PlayerFeed::PlayerFeed(FeedReader& reader, Options options) : reader_(reader), options_(options) {}

PlayerFeed::~PlayerFeed() { leave(); }

void PlayerFeed::leave() {
  if (fanout_) fanout_->leave(*this);
  fanout_.reset();
  backlog_.clear();
  backlog_next_ = 0;
  backlog_bytes_ = 0;
}

void PlayerFeed::end() { ended_ = true; }

const media::PacketPtr* PlayerFeed::peek() {
  for (;;) {
    const media::PacketPtr* next = nullptr;
    if (backlog_next_ < backlog_.size()) {
      next = &backlog_[backlog_next_];
    } else if (ring_unread()) {
      next = &fanout_->at(cursor_).packet;
    } else {
      return nullptr;
    }
    const media::Packet& packet = **next;
    if (waiting_for_keyframe_ && packet.is_video() && !packet.track_config) {
      if (!packet.keyframe) {
        ++dropped_packets_;
        pop();
        continue;
      }
      waiting_for_keyframe_ = false;
    }
    return next;
  }
}

void PlayerFeed::pop() {
  if (backlog_next_ < backlog_.size()) {
    backlog_bytes_ -= backlog_[backlog_next_]->flv_tag.size();
    ++backlog_next_;
  } else {
    ++cursor_;
  }
}

std::size_t PlayerFeed::unread_bytes() const {
  std::size_t bytes = backlog_bytes_;
  if (ring_unread()) bytes += fanout_->end_offset_ - fanout_->at(cursor_).offset;
  return bytes;
}

const media::Packet* PlayerFeed::first_unread_media() const {
  // Headers carry old timestamps (onMetaData is stamped 0); they are few, so the scan is short.
  for (std::size_t i = backlog_next_; i < backlog_.size(); ++i) {
    if (!is_header(*backlog_[i])) return backlog_[i].get();
  }
  if (!fanout_) return nullptr;
  for (std::uint64_t seq = cursor_; seq < fanout_->end_seq(); ++seq) {
    const auto& packet = *fanout_->at(seq).packet;
    if (!is_header(packet)) return &packet;
  }
  return nullptr;
}

const media::Packet* PlayerFeed::last_unread() const {
  if (ring_unread()) return fanout_->ring_.back().packet.get();
  if (backlog_next_ < backlog_.size()) return backlog_.back().get();
  return nullptr;
}

// Called only between the reader's writes (a pass, a join): no pointer from peek() is in use.
void PlayerFeed::enforce_limits() {
  if (backlog_next_ == backlog_.size() && !backlog_.empty()) {
    backlog_ = {};  // all read: let the cached start go
    backlog_next_ = 0;
  }
  if (unread_bytes() > options_.max_bytes) {
    skip_to_next_keyframe();
    return;
  }
  const media::Packet* first = first_unread_media();
  if (!first) return;
  // Timestamps that go backwards (a broken publisher) leave only the byte bound in force.
  const std::int64_t span = std::int64_t(last_unread()->timestamp) - first->timestamp;
  if (span > std::int64_t(options_.max_duration_ms)) skip_to_next_keyframe();
}

void PlayerFeed::skip_to_next_keyframe() {
  std::vector<media::PacketPtr> kept;
  std::size_t kept_bytes = 0;
  auto keep_headers = [&](const media::PacketPtr& packet) {
    if (is_header(*packet)) {
      kept_bytes += packet->flv_tag.size();
      kept.push_back(packet);
    } else {
      ++dropped_packets_;
    }
  };
  for (std::size_t i = backlog_next_; i < backlog_.size(); ++i) keep_headers(backlog_[i]);
  if (fanout_) {
    for (; cursor_ < fanout_->end_seq(); ++cursor_) keep_headers(fanout_->at(cursor_).packet);
  }
  backlog_ = std::move(kept);
  backlog_next_ = 0;
  backlog_bytes_ = kept_bytes;
  waiting_for_keyframe_ = true;
  ++skips_;
}

}  // namespace liveorigin::hub
