// What the cluster keeps in Redis, as values: the claim of a stream (its owner node, fencing
// epoch, publisher, the owner's advertised addresses, and the times the stale rule reads), the key
// names, and the answers of the claim / renew / release scripts. Pure: no sockets, unit tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "liveorigin/cluster/redis_client.hpp"
#include "liveorigin/hub/registry.hpp"

namespace liveorigin::cluster {

// The claim of APP/STREAM. epoch and the *_ms times (Redis' clock, Unix ms) are set by the scripts.
struct ClaimValue {
  std::string node, app, stream;
  std::string ip, protocol;     // the publisher
  std::int64_t started_at = 0;  // Unix seconds
  std::string rtmp, http;       // the owner's advertised addresses
  std::uint64_t epoch = 0;
  std::int64_t claimed_ms = 0, renewed_ms = 0, last_media_ms = 0;
  friend bool operator==(const ClaimValue&, const ClaimValue&) = default;
};

std::string encode_claim(const ClaimValue& value);  // JSON
// nullopt when `json` is not a claim (a foreign or damaged value).
std::optional<ClaimValue> decode_claim(std::string_view json);

// The keys of one cluster (all under one prefix, so that one Redis can hold several clusters).
struct Keys {
  std::string prefix = "liveorigin:";
  std::string claim(const hub::StreamKey& key) const { return prefix + "claim:" + key.str(); }
  std::string epoch(const hub::StreamKey& key) const { return prefix + "epoch:" + key.str(); }
  std::string claim_prefix() const { return prefix + "claim:"; }
  std::string claimed() const { return prefix + "claimed"; }  // set of APP/STREAM with a claim
  std::string node(const std::string& id) const { return prefix + "node:" + id; }
  std::string disabled() const { return prefix + "disabled"; }  // hash APP/STREAM -> who
  std::string channels() const { return prefix + "channels"; }  // set of APP/STREAM
  std::string events() const { return prefix + "events"; }      // pub/sub channel
  std::string secret() const { return prefix + "secret"; }      // keys the pull credentials
};

// What the claim and renew scripts answer: {word, epoch, the other holder's claim or ""}.
struct ScriptAnswer {
  enum class Kind { granted, busy, held, retaken, lost };
  Kind kind = Kind::busy;
  std::uint64_t epoch = 0;
  std::optional<ClaimValue> other;  // busy/lost: the holder; granted: the stale holder replaced
};
// Throws std::runtime_error on an error reply or a malformed answer.
ScriptAnswer parse_script_answer(const RedisReply& reply);

// A claim script's answer as the hub's ClaimResult.
hub::ClaimResult to_claim_result(const ScriptAnswer& answer);

// hub::StreamKey from "APP/STREAM"; nullopt when malformed.
std::optional<hub::StreamKey> parse_stream_key(std::string_view text);

}  // namespace liveorigin::cluster
