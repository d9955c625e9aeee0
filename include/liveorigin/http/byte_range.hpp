// The HTTP Range header of a recording request (RFC 9110 §14), without sockets: a single
// "bytes=" range is honoured; several ranges or a malformed header mean the whole file (200),
// which the RFC allows; a range past the end is 416.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace liveorigin::http {

struct ByteRange {
  std::uint64_t first = 0, last = 0;  // inclusive
  std::uint64_t length() const { return last - first + 1; }
};

struct RangeRequest {
  enum Kind { whole, partial, unsatisfiable } kind = whole;
  ByteRange range;
};

inline RangeRequest parse_range(std::string_view header, std::uint64_t size) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() <= kUnit.size() || header.substr(0, kUnit.size()) != kUnit) return {};
  const auto spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return {};
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
  };
  const auto first_text = trim(spec.substr(0, dash)), last_text = trim(spec.substr(dash + 1));
  if (first_text.empty()) {  // suffix: the last N bytes
    const auto n = number(last_text);
    if (!n) return {};
    if (*n == 0 || size == 0) return {RangeRequest::unsatisfiable, {}};
    const std::uint64_t len = *n < size ? *n : size;
    return {RangeRequest::partial, {size - len, size - 1}};
  }
  const auto first = number(first_text);
  if (!first) return {};
  std::uint64_t last = size ? size - 1 : 0;
  if (!last_text.empty()) {
    const auto l = number(last_text);
    if (!l || *l < *first) return {};
    if (*l < last) last = *l;
  }
  if (*first >= size) return {RangeRequest::unsatisfiable, {}};
  return {RangeRequest::partial, {*first, last}};
}

}  // namespace liveorigin::http
