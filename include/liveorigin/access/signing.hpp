// txSecret signing (PRODUCT.md section 3): txSecret = lowercase hex MD5(key + STREAM + txTime), with
// txTime the hexadecimal Unix expiry exactly as sent (either case). Pure functions, no state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "liveorigin/config/config.hpp"

namespace liveorigin::access {

using Query = std::map<std::string, std::string>;

// Lowercase hex MD5 of `data`.
std::string md5_hex(std::string_view data);

// The txSecret for one stream and one txTime (as it appears in the URL).
std::string tx_secret(std::string_view key, std::string_view stream, std::string_view tx_time);

// "txSecret=…&txTime=…" valid until `expires_at` (Unix seconds), txTime in uppercase hex.
std::string signed_query(std::string_view key, std::string_view stream, std::int64_t expires_at);

enum class AuthResult { ok, missing, bad_time, expired, mismatch };
std::string_view to_string(AuthResult result);

// Checks txSecret/txTime against the app's key and backup key at `now` (Unix seconds).
// No key configured: always ok. The secret comparison is constant-time.
AuthResult check_auth(const config::AuthKeys& keys, std::string_view stream, const Query& query,
                      std::int64_t now);

}  // namespace liveorigin::access
