// The cluster's Redis values and script answers, without a server: a claim's JSON both ways
// (as Lua's cjson writes numbers too), and each answer word as the hub sees it.
#include <gtest/gtest.h>

#include "liveorigin/cluster/claims.hpp"

namespace liveorigin::cluster {
namespace {

using Type = RedisReply::Type;

RedisReply answer(const std::string& word, long long epoch, const std::string& other) {
  return {Type::array, 0, "", {{Type::string, 0, word, {}}, {Type::integer, epoch, "", {}}, {Type::string, 0, other, {}}}};
}

ClaimValue sample() {
  ClaimValue v;
  v.node = "node-a";
  v.app = "live";
  v.stream = "cam1";
  v.ip = "203.0.113.5";
  v.protocol = "rtmp";
  v.started_at = 1764400000;
  v.rtmp = "10.0.0.5:1935";
  v.http = "10.0.0.5:8080";
  return v;
}

TEST(ClusterClaims, EncodesAndDecodes) {
  auto v = sample();
  EXPECT_EQ(decode_claim(encode_claim(v)), v);
  v.epoch = 42;
  v.claimed_ms = 1764400000123;
  v.renewed_ms = 1764400003456;
  v.last_media_ms = 1764400003000;
  EXPECT_EQ(decode_claim(encode_claim(v)), v);
}

TEST(ClusterClaims, ReadsCjsonNumbers) {
  // cjson writes integers up to 14 significant digits plainly, larger ones in exponent form.
  const auto v = decode_claim(R"({"node":"b","app":"live","stream":"s","epoch":7,"started_at":1.764400000e+09,)"
                              R"("claimed_ms":1764400000123,"renewed_ms":1764400001000,"last_media_ms":1.7644e+12})");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->epoch, 7u);
  EXPECT_EQ(v->started_at, 1764400000);
  EXPECT_EQ(v->claimed_ms, 1764400000123);
  EXPECT_EQ(v->last_media_ms, 1764400000000);
}

TEST(ClusterClaims, RefusesForeignValues) {
  for (const char* bad : {"", "not json", "[]", R"({"node":"a"})", R"({"node":"a","app":"l","stream":"s","epoch":"x"})"}) {
    EXPECT_FALSE(decode_claim(bad)) << bad;
  }
}

TEST(ClusterClaims, GrantedIsAClaimWithItsEpoch) {
  const auto result = to_claim_result(parse_script_answer(answer("granted", 9, "")));
  EXPECT_TRUE(result.granted());
  EXPECT_EQ(result.epoch, 9u);
  EXPECT_FALSE(result.replaced);
}

TEST(ClusterClaims, GrantedOverAStaleHolderNamesIt) {
  auto holder = sample();
  holder.epoch = 8;
  const auto result = to_claim_result(parse_script_answer(answer("granted", 9, encode_claim(holder))));
  ASSERT_TRUE(result.granted());
  ASSERT_TRUE(result.replaced);
  EXPECT_EQ(result.replaced->ip, "203.0.113.5");
}

TEST(ClusterClaims, BusyNamesTheOwnerNode) {
  auto holder = sample();
  holder.epoch = 3;
  const auto parsed = parse_script_answer(answer("busy", 3, encode_claim(holder)));
  EXPECT_EQ(parsed.kind, ScriptAnswer::Kind::busy);
  const auto result = to_claim_result(parsed);
  EXPECT_EQ(result.outcome, hub::ClaimResult::Outcome::busy);
  EXPECT_EQ(result.holder, "node-a");
}

TEST(ClusterClaims, RenewAnswers) {
  EXPECT_EQ(parse_script_answer(answer("held", 4, "")).kind, ScriptAnswer::Kind::held);
  const auto retaken = parse_script_answer(answer("retaken", 12, ""));
  EXPECT_EQ(retaken.kind, ScriptAnswer::Kind::retaken);
  EXPECT_EQ(retaken.epoch, 12u);
  auto other = sample();
  other.node = "node-b";
  const auto lost = parse_script_answer(answer("lost", 13, encode_claim(other)));
  EXPECT_EQ(lost.kind, ScriptAnswer::Kind::lost);
  ASSERT_TRUE(lost.other);
  EXPECT_EQ(lost.other->node, "node-b");
}

TEST(ClusterClaims, MalformedAnswersThrow) {
  EXPECT_THROW(parse_script_answer(RedisReply::error("NOSCRIPT No matching script")), std::runtime_error);
  EXPECT_THROW(parse_script_answer(answer("maybe", 1, "")), std::runtime_error);
  EXPECT_THROW(parse_script_answer(answer("granted", -1, "")), std::runtime_error);
  EXPECT_THROW(parse_script_answer({Type::array, 0, "", {{Type::string, 0, "granted", {}}}}), std::runtime_error);
  EXPECT_THROW(parse_script_answer({Type::integer, 1, "", {}}), std::runtime_error);
}

TEST(ClusterClaims, StreamKeys) {
  EXPECT_EQ(parse_stream_key("live/cam.1"), (hub::StreamKey{"live", "cam.1"}));
  for (const char* bad : {"", "live", "live/", "/s", "live/a/b", "live/.."}) EXPECT_FALSE(parse_stream_key(bad)) << bad;
  Keys keys;
  EXPECT_EQ(keys.claim({"live", "s"}), "liveorigin:claim:live/s");
  EXPECT_EQ(keys.epoch({"live", "s"}), "liveorigin:epoch:live/s");
}

}  // namespace
}  // namespace liveorigin::cluster
