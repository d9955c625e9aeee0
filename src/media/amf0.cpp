#include "liveorigin/media/amf0.hpp"

#include <algorithm>

namespace liveorigin::media::amf0 {

namespace {

void write_marker(ByteWriter& w, Marker m) { w.u8(static_cast<std::uint8_t>(m)); }

// Property key: u16 length + UTF-8 bytes (no marker).
void write_key(ByteWriter& w, std::string_view key) {
  // Keys cannot exceed u16; truncating is better than emitting a corrupt stream.
  auto n = std::min<std::size_t>(key.size(), 0xFFFF);
  w.u16be(static_cast<std::uint16_t>(n));
  w.string(key.substr(0, n));
}

void write_properties(Bytes& out, const std::vector<Property>& props) {
  ByteWriter w(out);
  for (const auto& p : props) {
    write_key(w, p.key);
    encode(out, p.value);
  }
  w.u16be(0);
  write_marker(w, Marker::object_end);
}

Value decode_value(ByteReader& r, Budget& budget, int depth);

// Reads key/value pairs up to the object-end marker. ECMA arrays from some encoders end with the
// data itself, without the marker, so `lenient_end` accepts running out of input there.
std::vector<Property> read_properties(ByteReader& r, Budget& budget, int depth, bool lenient_end) {
  std::vector<Property> props;
  for (;;) {
    if (lenient_end && r.empty()) return props;
    std::uint16_t len = r.u16be();
    if (len == 0) {
      if (lenient_end && r.empty()) return props;
      std::uint8_t m = r.u8();
      if (m == static_cast<std::uint8_t>(Marker::object_end)) return props;
      throw ParseError("amf0: empty property key without object end");
    }
    std::string key = r.string(len);
    props.push_back(Property{std::move(key), decode_value(r, budget, depth + 1)});
  }
}

}  // namespace

Value Value::make_number(double v) { Value x; x.type = Type::number; x.number = v; return x; }
Value Value::make_boolean(bool v) { Value x; x.type = Type::boolean; x.boolean = v; return x; }
Value Value::make_string(std::string v) { Value x; x.type = Type::string; x.string = std::move(v); return x; }
Value Value::make_null() { return Value{}; }
Value Value::make_undefined() { Value x; x.type = Type::undefined; return x; }
Value Value::make_object(std::vector<Property> props) {
  Value x; x.type = Type::object; x.properties = std::move(props); return x;
}
Value Value::make_ecma_array(std::vector<Property> props) {
  Value x; x.type = Type::ecma_array; x.properties = std::move(props); return x;
}
Value Value::make_strict_array(std::vector<Value> elems) {
  Value x; x.type = Type::strict_array; x.elements = std::move(elems); return x;
}
Value Value::make_date(double ms, std::int16_t tz) {
  Value x; x.type = Type::date; x.number = ms; x.timezone = tz; return x;
}

const std::string& Value::as_string() const {
  static const std::string kEmpty;  // constant, not mutable state
  return is_string() ? string : kEmpty;
}

const Value* Value::get(std::string_view key) const {
  if (!has_properties()) return nullptr;
  for (const auto& p : properties)
    if (p.key == key) return &p.value;
  return nullptr;
}

Value& Value::set(std::string key, Value v) {
  for (auto& p : properties)
    if (p.key == key) return p.value = std::move(v);
  properties.push_back(Property{std::move(key), std::move(v)});
  return properties.back().value;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::number: return a.number == b.number;
    case Type::boolean: return a.boolean == b.boolean;
    case Type::string: return a.string == b.string;
    case Type::null:
    case Type::undefined: return true;
    case Type::object:
    case Type::ecma_array: return a.properties == b.properties;
    case Type::strict_array: return a.elements == b.elements;
    case Type::date: return a.number == b.number && a.timezone == b.timezone;
  }
  return false;
}

Value decode(ByteReader& r, Budget& budget) { return decode_value(r, budget, 0); }

Value decode(ByteReader& r) {
  Budget budget;
  return decode(r, budget);
}

namespace {

Value decode_value(ByteReader& r, Budget& budget, int depth) {
  if (depth > budget.max_depth) throw ParseError("amf0: nesting too deep");
  if (budget.values_left == 0) throw ParseError("amf0: too many values");
  --budget.values_left;
  auto marker = static_cast<Marker>(r.u8());
  switch (marker) {
    case Marker::number: return Value::make_number(r.f64be());
    case Marker::boolean: return Value::make_boolean(r.u8() != 0);
    case Marker::string: {
      auto n = r.u16be();
      return Value::make_string(r.string(n));
    }
    case Marker::long_string:
    case Marker::xml_document: {
      auto n = r.u32be();
      return Value::make_string(r.string(n));  // bounds-checked before allocating
    }
    case Marker::object: return Value::make_object(read_properties(r, budget, depth, false));
    case Marker::typed_object: {
      auto n = r.u16be();
      r.skip(n);  // class name: irrelevant to us
      return Value::make_object(read_properties(r, budget, depth, false));
    }
    case Marker::null: return Value::make_null();
    case Marker::undefined:
    case Marker::unsupported: return Value::make_undefined();
    case Marker::ecma_array: {
      r.u32be();  // count is only a hint; the end marker terminates
      return Value::make_ecma_array(read_properties(r, budget, depth, true));
    }
    case Marker::strict_array: {
      std::uint32_t n = r.u32be();
      // Every element takes at least one byte and one value of the budget: a larger count is a
      // lie, not a reason to reserve.
      if (n > r.remaining()) throw ParseError("amf0: strict array count exceeds input");
      if (n > budget.values_left) throw ParseError("amf0: too many values");
      std::vector<Value> elems;
      elems.reserve(n);
      for (std::uint32_t i = 0; i < n; ++i) elems.push_back(decode_value(r, budget, depth + 1));
      return Value::make_strict_array(std::move(elems));
    }
    case Marker::date: {
      double ms = r.f64be();
      auto tz = static_cast<std::int16_t>(r.u16be());
      return Value::make_date(ms, tz);
    }
    case Marker::object_end: throw ParseError("amf0: unexpected object end");
    case Marker::reference: throw ParseError("amf0: references are not supported");
    case Marker::avmplus_object: throw ParseError("amf0: AMF3 values are not supported");
    default: break;
  }
  throw ParseError("amf0: unknown type marker " + std::to_string(static_cast<int>(marker)));
}

}  // namespace

std::vector<Value> decode_all(ByteView data, Budget budget) {
  ByteReader r(data);
  std::vector<Value> values;
  while (!r.empty()) values.push_back(decode(r, budget));
  return values;
}

void encode_string(Bytes& out, std::string_view s) {
  ByteWriter w(out);
  if (s.size() <= 0xFFFF) {
    write_marker(w, Marker::string);
    w.u16be(static_cast<std::uint16_t>(s.size()));
  } else {
    write_marker(w, Marker::long_string);
    w.u32be(static_cast<std::uint32_t>(std::min<std::size_t>(s.size(), 0xFFFFFFFFu)));
  }
  w.string(s);
}

void encode(Bytes& out, const Value& v) {
  ByteWriter w(out);
  switch (v.type) {
    case Type::number: write_marker(w, Marker::number); w.f64be(v.number); return;
    case Type::boolean: write_marker(w, Marker::boolean); w.u8(v.boolean ? 1 : 0); return;
    case Type::string: encode_string(out, v.string); return;
    case Type::null: write_marker(w, Marker::null); return;
    case Type::undefined: write_marker(w, Marker::undefined); return;
    case Type::object: write_marker(w, Marker::object); write_properties(out, v.properties); return;
    case Type::ecma_array:
      write_marker(w, Marker::ecma_array);
      w.u32be(static_cast<std::uint32_t>(v.properties.size()));
      write_properties(out, v.properties);
      return;
    case Type::strict_array:
      write_marker(w, Marker::strict_array);
      w.u32be(static_cast<std::uint32_t>(v.elements.size()));
      for (const auto& e : v.elements) encode(out, e);
      return;
    case Type::date:
      write_marker(w, Marker::date);
      w.f64be(v.number);
      w.u16be(static_cast<std::uint16_t>(v.timezone));
      return;
  }
}

void encode_all(Bytes& out, const std::vector<Value>& values) {
  for (const auto& v : values) encode(out, v);
}

}  // namespace liveorigin::media::amf0
