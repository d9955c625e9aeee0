// The access decisions of the network threads: may this publish / play go ahead? Auth is checked
// against the session's config snapshot; stream status and channels come from an in-memory copy of
// the store (loaded at start, updated by the API), so no network thread ever waits for SQLite.
// Every way of playing (RTMP, HTTP-FLV, HLS, recordings) is admitted by the one admit_play: a pure
// step that unit tests reach without sockets.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "liveorigin/access/signing.hpp"
#include "liveorigin/config/config.hpp"
#include "liveorigin/hub/stream.hpp"

namespace liveorigin::access {

// Why a publish or play is refused; ok() when it is not.
struct Decision {
  enum class Refusal { none, bad_name, unknown_app, delivery_off, unauthorized, disabled, unknown_channel };
  Refusal refusal = Refusal::none;
  std::string reason;  // for the log line and the client's description
  bool ok() const { return refusal == Refusal::none; }
};

// How a player asks for a stream. Each is admitted the same way; only its own switch differs.
enum class Delivery { rtmp, flv, hls, vod };

struct PlayAttempt {
  std::string_view app;
  std::string_view stream;
  const Query& query;  // the request's query (RTMP: the stream name's over tcUrl's)
  Delivery delivery;
  std::int64_t now;  // Unix seconds
};

struct PlayAdmission {
  Decision decision;
  const config::AppConfig* app = nullptr;  // the app, once it is known (also on a later refusal)
  bool ok() const { return decision.ok(); }
};

class Access {
 public:
  // Replaces the whole cache (start-up).
  void load(const std::vector<hub::StreamKey>& disabled, const std::vector<hub::StreamKey>& channels);

  bool is_disabled(const hub::StreamKey& key) const;
  void set_disabled(const hub::StreamKey& key, bool disabled);

  bool has_channel(const hub::StreamKey& key) const;
  void add_channel(const hub::StreamKey& key);
  void remove_channel(const hub::StreamKey& key);

  // Name rule, push auth, stream status and (channel mode) the channel list. now: Unix seconds.
  Decision check_publish(const config::AppConfig& app, const std::string& stream, const Query& query,
                         std::int64_t now) const;
  // Name rule, the app, play auth, then whether the app serves this delivery (HTTP-FLV and HLS
  // can be off): in that order, so an app's switches are not told to an unsigned request.
  PlayAdmission admit_play(const config::Config& config, const PlayAttempt& attempt) const;
  // Beside admit_play: a cluster node pulling the stream (docs/cluster.md) is admitted without the
  // app's play auth when the attempt carries a valid pull credential. Its node id, or nullopt (the
  // attempt is then an ordinary player, for admit_play to decide).
  std::optional<std::string> admit_pull(const PlayAttempt& attempt) const;
  // The cluster's secret that keys the pull credentials (from Redis, once connected).
  void set_cluster_secret(std::string secret);
  std::string cluster_secret() const;

 private:
  mutable std::shared_mutex mutex_;  // taken per publish/play attempt and API change, never per packet
  std::set<hub::StreamKey> disabled_;
  std::set<hub::StreamKey> channels_;
  std::string cluster_secret_;
};

std::int64_t unix_now();

}  // namespace liveorigin::access
