// Splits an HTTP request target into path segments and query, without sockets.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace liveorigin::http {

struct RequestTarget {
  std::vector<std::string> segments;  // "/live/s.flv" → {"live", "s.flv"}
  std::string query;                  // after '?', undecoded
};

inline RequestTarget parse_target(std::string_view target) {
  RequestTarget out;
  const auto q = target.find('?');
  if (q != std::string_view::npos) {
    out.query = std::string(target.substr(q + 1));
    target = target.substr(0, q);
  }
  std::size_t start = 0;
  while (start <= target.size()) {
    const auto end = std::min(target.find('/', start), target.size());
    if (end > start) out.segments.emplace_back(target.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// "s.flv" with suffix ".flv" → "s"; empty when the suffix does not match.
inline std::string_view strip_suffix(std::string_view file, std::string_view suffix) {
  if (file.size() <= suffix.size() || file.substr(file.size() - suffix.size()) != suffix) return {};
  return file.substr(0, file.size() - suffix.size());
}

}  // namespace liveorigin::http
