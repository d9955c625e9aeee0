// The credential a cluster node shows when it pulls a stream from its owner: an HMAC-SHA256 over
// (app, stream, expiry, node) keyed with the cluster's secret, sent in the play name's query. The
// owner admits such a play without the app's play auth. Pure functions, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "liveorigin/access/signing.hpp"

namespace liveorigin::access {

// How long a pull credential is valid: the pull connects at once, so a short time is enough.
inline constexpr std::int64_t kPullCredentialSeconds = 60;

// Lowercase hex HMAC-SHA256 of "APP\nSTREAM\nEXPIRES\nNODE" keyed with `secret`.
std::string pull_signature(std::string_view secret, std::string_view app, std::string_view stream,
                           std::int64_t expires, std::string_view node);

// "cluster_node=NODE&cluster_expires=T&cluster_sig=HEX", to append to the play name.
std::string pull_query(std::string_view secret, std::string_view app, std::string_view stream,
                       std::string_view node, std::int64_t expires);

// The pulling node's id when `query` holds a valid, unexpired credential for APP/STREAM at `now`;
// nullopt otherwise (no credential, wrong signature, expired, or no secret known yet).
std::optional<std::string> check_pull(std::string_view secret, std::string_view app, std::string_view stream,
                                      const Query& query, std::int64_t now);

}  // namespace liveorigin::access
