#include "liveorigin/media/amf0.hpp"

#include <gtest/gtest.h>

namespace liveorigin::media::amf0 {
namespace {

Value round_trip(const Value& v) {
  Bytes out;
  encode(out, v);
  auto values = decode_all(out);
  EXPECT_EQ(values.size(), 1u);
  return values.empty() ? Value{} : values[0];
}

TEST(Amf0, ScalarsRoundTrip) {
  for (const Value& v : {Value::make_number(0), Value::make_number(-1.5), Value::make_number(1e300),
                         Value::make_boolean(true), Value::make_boolean(false), Value::make_string(""),
                         Value::make_string("héllo"), Value::make_null(), Value::make_undefined(),
                         Value::make_date(1700000000000.0, 60)}) {
    EXPECT_EQ(round_trip(v), v);
  }
}

TEST(Amf0, LongStringUsesLongMarker) {
  const std::string big(70000, 'x');
  Bytes out;
  encode(out, Value::make_string(big));
  EXPECT_EQ(out[0], 0x0C);
  EXPECT_EQ(out.size(), 1 + 4 + big.size());
  EXPECT_EQ(decode_all(out).at(0).as_string(), big);
}

TEST(Amf0, NestedContainersRoundTrip) {
  Value obj = Value::make_object();
  obj.set("app", Value::make_string("live"));
  obj.set("n", Value::make_number(3));
  Value inner = Value::make_ecma_array({{"width", Value::make_number(1280)}, {"stereo", Value::make_boolean(true)}});
  obj.set("meta", inner);
  obj.set("list", Value::make_strict_array({Value::make_number(1), Value::make_string("two"), Value::make_null()}));
  const Value back = round_trip(obj);
  EXPECT_EQ(back, obj);
  ASSERT_NE(back.get("app"), nullptr);
  EXPECT_EQ(back.get("app")->as_string(), "live");
  EXPECT_EQ(back.get("meta")->get("width")->as_number(), 1280);
  EXPECT_EQ(back.get("missing"), nullptr);
  EXPECT_EQ(back.get("list")->elements.size(), 3u);
  EXPECT_EQ(Value::make_number(1).get("x"), nullptr);
}

TEST(Amf0, KnownBytes) {
  const Bytes bytes = {0x02, 0x00, 0x01, 'a', 0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0x05,
                       0x03, 0x00, 0x01, 'k', 0x01, 0x01, 0x00, 0x00, 0x09};
  const auto v = decode_all(bytes);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].as_string(), "a");
  EXPECT_EQ(v[1].as_number(), 1.0);
  EXPECT_TRUE(v[2].is_null());
  EXPECT_TRUE(v[3].get("k")->as_boolean());
  Bytes again;
  encode_all(again, v);
  EXPECT_EQ(again, bytes);
}

TEST(Amf0, EcmaArrayWithoutEndMarkerIsAccepted) {
  const Bytes bytes = {0x08, 0, 0, 0, 1, 0x00, 0x01, 'w', 0x00, 0x40, 0x00, 0, 0, 0, 0, 0, 0};
  const auto v = decode_all(bytes);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].get("w")->as_number(), 2.0);
}

TEST(Amf0, TypedObjectAndXmlDecode) {
  const Bytes bytes = {0x10, 0x00, 0x01, 'C', 0x00, 0x01, 'a', 0x05, 0x00, 0x00, 0x09,
                       0x0F, 0, 0, 0, 2, '<', '>'};
  const auto v = decode_all(bytes);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(v[0].is_object());
  EXPECT_TRUE(v[0].get("a")->is_null());
  EXPECT_EQ(v[1].as_string(), "<>");
}

TEST(Amf0, MalformedInputThrows) {
  const std::vector<Bytes> bad = {
      {0x00, 0x3F},                              // truncated number
      {0x02, 0x00},                              // truncated length
      {0x02, 0x00, 0x05, 'a'},                   // string shorter than its length
      {0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 'a'},       // long string claiming 4 GB
      {0x03, 0x00, 0x01, 'k'},                   // object cut after a key
      {0x03, 0x00, 0x00, 0x05},                  // empty key without end marker
      {0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x05},      // strict array count beyond the input
      {0x09},                                    // stray object end
      {0x07, 0x00, 0x01},                        // reference
      {0x11, 0x01},                              // AMF3 switch
      {0x42},                                    // unknown marker
      {0x01},                                    // boolean without value
      {0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0},         // date without timezone
  };
  for (const auto& b : bad) EXPECT_THROW(decode_all(b), ParseError) << int(b[0]);
}

TEST(Amf0, NestingDepthIsLimited) {
  Bytes deep;
  for (int i = 0; i < 1000; ++i) deep.insert(deep.end(), {0x0A, 0, 0, 0, 1});
  deep.push_back(0x05);
  EXPECT_THROW(decode_all(deep), ParseError);

  Bytes ok;
  for (int i = 0; i < 10; ++i) ok.insert(ok.end(), {0x03, 0x00, 0x01, 'x'});
  ok.push_back(0x05);
  for (int i = 0; i < 10; ++i) ok.insert(ok.end(), {0x00, 0x00, 0x09});
  EXPECT_EQ(decode_all(ok).size(), 1u);
}

// onMetaData of a megabyte of nulls: each decodes into ~100 bytes, so the count is bounded.
Bytes null_array(std::uint32_t n) {
  Bytes b{0x0A};
  ByteWriter(b).u32be(n);
  b.insert(b.end(), n, 0x05);
  return b;
}

TEST(Amf0, ValueCountIsLimited) {
  EXPECT_EQ(decode_all(null_array(1000)).at(0).elements.size(), 1000u);
  EXPECT_THROW(decode_all(null_array(2'000'000)), ParseError);
  EXPECT_THROW(decode_all(null_array(kMaxValues)), ParseError);  // the array counts too
  EXPECT_EQ(decode_all(null_array(kMaxValues - 1)).at(0).elements.size(), kMaxValues - 1);

  // Properties of objects and ECMA arrays count the same way.
  Bytes ecma{0x08, 0, 0, 0, 0};
  for (int i = 0; i < 20000; ++i) ecma.insert(ecma.end(), {0x00, 0x01, 'k', 0x05});
  EXPECT_THROW(decode_all(ecma), ParseError);

  // Top-level values of one decode_all share a budget.
  EXPECT_THROW(decode_all(Bytes(kMaxValues + 1, 0x05)), ParseError);
  EXPECT_EQ(decode_all(Bytes(10, 0x05), Budget{.values_left = 10}).size(), 10u);
  EXPECT_THROW(decode_all(Bytes(11, 0x05), Budget{.values_left = 10}), ParseError);
}

TEST(Amf0, ABudgetSpansSeveralDecodes) {
  const Bytes nulls(8, 0x05);
  ByteReader r(nulls);
  Budget budget{.max_depth = kMaxDepth, .values_left = 5};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(decode(r, budget).is_null());
  EXPECT_THROW(decode(r, budget), ParseError);
}

TEST(Amf0, EveryTruncationOfAnObjectThrows) {
  Value obj = Value::make_object({{"a", Value::make_string("xyz")},
                                  {"b", Value::make_strict_array({Value::make_number(1), Value::make_date(2)})}});
  Bytes full;
  encode(full, obj);
  for (std::size_t n = 1; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + n);
    EXPECT_THROW(decode_all(cut), ParseError) << n;
  }
}

}  // namespace
}  // namespace liveorigin::media::amf0
