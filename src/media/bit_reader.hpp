// What the codec header parsers share (inside the media library only): the bit reader, and the
// wrapper that turns their exceptions into nullopt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "liveorigin/common/bytes.hpp"

namespace liveorigin::media {

// MSB-first bit reader over an RBSP (emulation prevention already removed). Throws ParseError
// past the end, like ByteReader, so a truncated header fails the whole parse in one place.
class BitReader {
 public:
  explicit BitReader(ByteView data) : data_(data) {}

  std::uint32_t bits(int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 1 | bit();
    return v;
  }
  std::uint32_t bit() {
    if (pos_ >= data_.size() * 8) throw ParseError("truncated bitstream");
    const std::uint32_t b = data_[pos_ / 8] >> (7 - pos_ % 8) & 1;
    ++pos_;
    return b;
  }
  void skip(std::size_t n) {
    if (n > data_.size() * 8 - pos_) throw ParseError("truncated bitstream");
    pos_ += n;
  }
  std::size_t remaining() const { return data_.size() * 8 - pos_; }

  // Exp-Golomb ue(v); more than 31 leading zeros cannot be a valid 32-bit value.
  std::uint32_t ue() {
    int zeros = 0;
    while (bit() == 0) {
      if (++zeros > 31) throw ParseError("bad exp-Golomb code");
    }
    return static_cast<std::uint32_t>((std::uint64_t{1} << zeros) - 1 + bits(zeros));
  }
  // 64-bit: ue() may return up to 2^32 - 1, whose signed value does not fit 32 bits.
  std::int64_t se() {
    const std::int64_t k = ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

// Runs a parse that reports malformed input by throwing, for the public never-throwing API.
// Parse may return T or std::optional<T>; both give std::optional<T>.
template <typename Parse>
auto or_nullopt(Parse&& parse) -> decltype(std::optional(parse())) {
  try {
    return parse();
  } catch (const ParseError&) {
    return std::nullopt;
  }
}

}  // namespace liveorigin::media
