// URL query strings as they ride on RTMP app names, tcUrls and stream names.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace liveorigin::common {

using Query = std::map<std::string, std::string>;  // "a=b&c=d", percent-decoded; last one wins

// %XX sequences decoded; malformed ones kept as they are. '+' stays '+' (tokens may be base64).
std::string percent_decode(std::string_view s);
// Parses "a=b&c=d" (a leading '?' is skipped) into `into`, overwriting keys already there.
void parse_query(std::string_view s, Query& into);
Query parse_query(std::string_view s);
// Splits "name?query" into ("name", "query"); the query is empty when there is no '?'.
std::pair<std::string_view, std::string_view> split_query(std::string_view s);

}  // namespace liveorigin::common
