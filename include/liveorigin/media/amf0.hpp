// AMF0 values as RTMP commands and FLV script tags carry them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "liveorigin/common/bytes.hpp"

namespace liveorigin::media::amf0 {

// Wire type markers (AMF0 spec, section 2.1).
enum class Marker : std::uint8_t {
  number = 0x00,
  boolean = 0x01,
  string = 0x02,
  object = 0x03,
  movieclip = 0x04,
  null = 0x05,
  undefined = 0x06,
  reference = 0x07,
  ecma_array = 0x08,
  object_end = 0x09,
  strict_array = 0x0A,
  date = 0x0B,
  long_string = 0x0C,
  unsupported = 0x0D,
  recordset = 0x0E,
  xml_document = 0x0F,
  typed_object = 0x10,
  avmplus_object = 0x11,
};

enum class Type : std::uint8_t { number, boolean, string, object, null, undefined, ecma_array, strict_array, date };

// Nested objects deeper than this are rejected: hostile input must not exhaust the stack.
inline constexpr int kMaxDepth = 64;
// Values one decode may build by default. A decoded value takes ~100 bytes whatever its wire size
// (a null is one byte on the wire), so input size alone does not bound memory; real commands and
// onMetaData hold tens of values.
inline constexpr std::size_t kMaxValues = 16 * 1024;

// What decoding untrusted input may build: nesting depth (the stack) and values in all (memory).
// Every value counts, nested ones too. Passed by reference, one budget spans several decodes.
struct Budget {
  int max_depth = kMaxDepth;
  std::size_t values_left = kMaxValues;
};

struct Property;

// One AMF0 value. A plain struct rather than a variant: recursive and easy to build in tests.
// Long strings and XML documents decode as `string`; typed objects as `object`.
struct Value {
  Type type = Type::null;
  double number = 0;                 // number; date: ms since the epoch
  bool boolean = false;
  std::int16_t timezone = 0;         // date only (always 0 in practice)
  std::string string;
  std::vector<Property> properties;  // object, ecma_array (in wire order)
  std::vector<Value> elements;       // strict_array

  static Value make_number(double v);
  static Value make_boolean(bool v);
  static Value make_string(std::string v);
  static Value make_null();
  static Value make_undefined();
  static Value make_object(std::vector<Property> props);
  static Value make_object();  // these three without arguments: empty (defined below, for clang)
  static Value make_ecma_array(std::vector<Property> props);
  static Value make_ecma_array();
  static Value make_strict_array(std::vector<Value> elems);
  static Value make_strict_array();
  static Value make_date(double ms, std::int16_t tz = 0);

  bool is_number() const { return type == Type::number; }
  bool is_boolean() const { return type == Type::boolean; }
  bool is_string() const { return type == Type::string; }
  bool is_null() const { return type == Type::null; }
  bool is_undefined() const { return type == Type::undefined; }
  bool is_object() const { return type == Type::object; }
  bool is_ecma_array() const { return type == Type::ecma_array; }
  bool is_strict_array() const { return type == Type::strict_array; }
  bool is_date() const { return type == Type::date; }
  // Objects and ECMA arrays both hold named properties.
  bool has_properties() const { return type == Type::object || type == Type::ecma_array; }

  // Typed reads; a value of another type yields the fallback (peers send numbers as strings etc.).
  double as_number(double fallback = 0) const { return is_number() ? number : fallback; }
  bool as_boolean(bool fallback = false) const { return is_boolean() ? boolean : fallback; }
  const std::string& as_string() const;  // empty string unless is_string()

  // Property lookup on objects / ECMA arrays (first match); nullptr if absent or not an object.
  const Value* get(std::string_view key) const;
  // Adds or replaces a property (for building objects).
  Value& set(std::string key, Value v);

  friend bool operator==(const Value&, const Value&);
};

struct Property {
  std::string key;
  Value value;
  friend bool operator==(const Property&, const Property&) = default;
};

inline Value Value::make_object() { return make_object(std::vector<Property>{}); }
inline Value Value::make_ecma_array() { return make_ecma_array(std::vector<Property>{}); }
inline Value Value::make_strict_array() { return make_strict_array(std::vector<Value>{}); }

// Decodes one value at the reader's position. Throws ParseError, also when the budget runs out.
Value decode(ByteReader& reader, Budget& budget);
Value decode(ByteReader& reader);  // with a default budget of its own
// Decodes values until the input ends, all of them from one budget. Throws ParseError on malformed
// or truncated input and past the budget.
std::vector<Value> decode_all(ByteView data, Budget budget = {});

void encode(Bytes& out, const Value& v);
void encode_all(Bytes& out, const std::vector<Value>& values);
// Encodes the string form (marker 0x02, or 0x0C when longer than 65535 bytes).
void encode_string(Bytes& out, std::string_view s);

}  // namespace liveorigin::media::amf0
