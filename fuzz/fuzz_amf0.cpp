// AMF0 decoding (commands, metadata): any bytes, then a re-encode/re-decode round trip of whatever
// decoded.
#include <stdexcept>

#include "fuzz_util.hpp"
#include "liveorigin/media/amf0.hpp"

using namespace liveorigin;
namespace amf0 = media::amf0;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  std::vector<amf0::Value> values;
  try {
    values = amf0::decode_all(ByteView(data, size));
  } catch (const ParseError&) {
    return 0;
  }
  Bytes again;
  amf0::encode_all(again, values);
  std::vector<amf0::Value> round;
  try {
    round = amf0::decode_all(again);
  } catch (const ParseError&) {
    __builtin_trap();  // what we encode must decode
  }
  if (round.size() != values.size()) __builtin_trap();
  return 0;
}
