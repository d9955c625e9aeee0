// The access decisions of the network threads: may this publish / play go ahead? Auth is checked
// against the session's config snapshot; stream status and channels come from an in-memory copy of
// the store (loaded at start, updated by the API), so no network thread ever waits for SQLite.
#pragma once

#include <cstdint>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "liveorigin/access/signing.hpp"
#include "liveorigin/config/config.hpp"
#include "liveorigin/hub/stream.hpp"

namespace liveorigin::access {

// Why a publish or play is refused; ok() when it is not.
struct Decision {
  enum class Refusal { none, bad_name, unauthorized, disabled, unknown_channel };
  Refusal refusal = Refusal::none;
  std::string reason;  // for the log line and the client's description
  bool ok() const { return refusal == Refusal::none; }
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
  // Name rule and play auth.
  Decision check_play(const config::AppConfig& app, const std::string& stream, const Query& query,
                      std::int64_t now) const;

 private:
  mutable std::shared_mutex mutex_;  // taken per publish/play attempt and API change, never per packet
  std::set<hub::StreamKey> disabled_;
  std::set<hub::StreamKey> channels_;
};

std::int64_t unix_now();

}  // namespace liveorigin::access
