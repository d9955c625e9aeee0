// Shared by the fuzz targets: quiet logging, and feeding input in pieces of a size the input picks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <spdlog/spdlog.h>

#include "liveorigin/common/bytes.hpp"

namespace fuzz {

// Logging off: the targets exercise error paths that log on every input.
inline void quiet() {
  static const bool done = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)done;
}

// Input layout of the streaming targets: first byte = piece size (0 = all at once), then the bytes.
struct Split {
  std::size_t piece;
  liveorigin::ByteView rest;
};

inline Split split(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {0, {}};
  const std::size_t piece = data[0];
  return {piece == 0 ? size : piece, liveorigin::ByteView(data + 1, size - 1)};
}

// Calls f(piece) for consecutive pieces of `bytes`, each of `piece` bytes (the last one shorter).
template <typename F>
void pieces(liveorigin::ByteView bytes, std::size_t piece, F&& f) {
  for (std::size_t pos = 0; pos < bytes.size(); pos += piece) f(bytes.subspan(pos, std::min(piece, bytes.size() - pos)));
}

}  // namespace fuzz
