#include "liveorigin/access/signing.hpp"

#include <gtest/gtest.h>

namespace liveorigin::access {
namespace {

constexpr std::int64_t kBefore = 0x5C271000;  // before the vector's txTime 5C271099

config::AuthKeys keys(std::string key, std::string backup = "") { return {std::move(key), std::move(backup)}; }

TEST(Signing, PublishedVector) {
  EXPECT_EQ(tx_secret("e12c46f2612d5106e2034781ab261ca3", "test", "5C271099"),
            "f85a2ab363fe4deaffef9754d79da6fe");
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(Signing, AcceptsTheVectorWithEitherKey) {
  const Query q{{"txSecret", "f85a2ab363fe4deaffef9754d79da6fe"}, {"txTime", "5C271099"}, {"random", "42"}};
  EXPECT_EQ(check_auth(keys("e12c46f2612d5106e2034781ab261ca3"), "test", q, kBefore), AuthResult::ok);
  EXPECT_EQ(check_auth(keys("other", "e12c46f2612d5106e2034781ab261ca3"), "test", q, kBefore), AuthResult::ok);
  EXPECT_EQ(check_auth(keys("other", "another"), "test", q, kBefore), AuthResult::mismatch);
}

TEST(Signing, TxTimeInEitherCaseSignedAsSent) {
  const auto key = "k";
  const Query lower{{"txSecret", tx_secret(key, "s", "5c271099")}, {"txTime", "5c271099"}};
  EXPECT_EQ(check_auth(keys(key), "s", lower, kBefore), AuthResult::ok);
  // The secret covers txTime exactly as sent: a secret for "5C271099" does not fit "5c271099".
  const Query swapped{{"txSecret", tx_secret(key, "s", "5C271099")}, {"txTime", "5c271099"}};
  EXPECT_EQ(check_auth(keys(key), "s", swapped, kBefore), AuthResult::mismatch);
}

TEST(Signing, Refusals) {
  const auto k = keys("k");
  const Query good{{"txSecret", tx_secret("k", "s", "5C271099")}, {"txTime", "5C271099"}};
  EXPECT_EQ(check_auth(k, "s", {}, kBefore), AuthResult::missing);
  EXPECT_EQ(check_auth(k, "s", {{"txTime", "5C271099"}}, kBefore), AuthResult::missing);
  EXPECT_EQ(check_auth(k, "s", good, 0x5C2710A0), AuthResult::expired);
  EXPECT_EQ(check_auth(k, "other", good, kBefore), AuthResult::mismatch);
  EXPECT_EQ(check_auth(k, "s", {{"txSecret", "x"}, {"txTime", "zz"}}, kBefore), AuthResult::bad_time);
  EXPECT_EQ(check_auth(k, "s", {{"txSecret", "x"}, {"txTime", "-1"}}, kBefore), AuthResult::bad_time);
  EXPECT_EQ(check_auth(k, "s", {{"txSecret", "X"}, {"txTime", "5C271099"}}, kBefore), AuthResult::mismatch);
  // Uppercase hex secret: the contract says lowercase.
  Query upper = good;
  for (auto& c : upper["txSecret"]) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(check_auth(k, "s", upper, kBefore), AuthResult::mismatch);
}

TEST(Signing, NoKeyMeansNoAuth) { EXPECT_EQ(check_auth(keys(""), "s", {}, 0), AuthResult::ok); }

TEST(Signing, SignedQueryRoundTrips) {
  const auto q = signed_query("k", "cam", 0x5C271099);
  EXPECT_EQ(q, "txSecret=" + tx_secret("k", "cam", "5C271099") + "&txTime=5C271099");
  const Query parsed{{"txSecret", tx_secret("k", "cam", "5C271099")}, {"txTime", "5C271099"}};
  EXPECT_EQ(check_auth(keys("k"), "cam", parsed, kBefore), AuthResult::ok);
}

}  // namespace
}  // namespace liveorigin::access
