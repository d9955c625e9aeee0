#include "liveorigin/common/query.hpp"

namespace liveorigin::common {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

void parse_query(std::string_view s, Query& into) {
  if (!s.empty() && s.front() == '?') s.remove_prefix(1);
  while (!s.empty()) {
    const std::size_t amp = s.find('&');
    const std::string_view pair = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view{} : s.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq));
    if (key.empty()) continue;
    into[std::move(key)] = eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
  }
}

Query parse_query(std::string_view s) {
  Query q;
  parse_query(s, q);
  return q;
}

std::pair<std::string_view, std::string_view> split_query(std::string_view s) {
  const std::size_t q = s.find('?');
  if (q == std::string_view::npos) return {s, {}};
  return {s.substr(0, q), s.substr(q + 1)};
}

}  // namespace liveorigin::common
