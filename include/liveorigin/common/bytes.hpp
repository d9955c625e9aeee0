// Big-endian byte reading and writing for the wire formats (RTMP, AMF0, FLV).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace liveorigin {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Thrown by parsers on malformed or truncated input; the message says what was wrong.
struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads from a byte view; every read checks bounds and throws ParseError past the end.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  std::uint8_t u8() { return take(1)[0]; }
  std::uint16_t u16be() { auto b = take(2); return std::uint16_t(b[0] << 8 | b[1]); }
  std::uint32_t u24be() { auto b = take(3); return std::uint32_t(b[0]) << 16 | b[1] << 8 | b[2]; }
  std::uint32_t u32be() {
    auto b = take(4);
    return std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | b[2] << 8 | b[3];
  }
  std::uint32_t u32le() {
    auto b = take(4);
    return std::uint32_t(b[3]) << 24 | std::uint32_t(b[2]) << 16 | b[1] << 8 | b[0];
  }
  double f64be() {
    auto b = take(8);
    std::uint64_t v = 0;
    for (auto x : b) v = v << 8 | x;
    double d;
    std::memcpy(&d, &v, sizeof d);
    return d;
  }
  ByteView bytes(std::size_t n) { return take(n); }
  std::string string(std::size_t n) {
    auto b = take(n);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void skip(std::size_t n) { take(n); }
  ByteView rest() { return take(remaining()); }

 private:
  ByteView take(std::size_t n) {
    if (n > remaining()) throw ParseError("truncated input");
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  ByteView data_;
  std::size_t pos_ = 0;
};

// Appends to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16be(std::uint16_t v) { put({std::uint8_t(v >> 8), std::uint8_t(v)}); }
  void u24be(std::uint32_t v) { put({std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)}); }
  void u32be(std::uint32_t v) {
    put({std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)});
  }
  void u32le(std::uint32_t v) {
    put({std::uint8_t(v), std::uint8_t(v >> 8), std::uint8_t(v >> 16), std::uint8_t(v >> 24)});
  }
  void f64be(double d) {
    std::uint64_t v;
    std::memcpy(&v, &d, sizeof v);
    for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(std::uint8_t(v >> shift));
  }
  void bytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void string(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }

 private:
  void put(std::initializer_list<std::uint8_t> b) { out_.insert(out_.end(), b); }
  Bytes& out_;
};

}  // namespace liveorigin
