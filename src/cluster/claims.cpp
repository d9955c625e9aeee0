#include "liveorigin/cluster/claims.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "liveorigin/hub/names.hpp"

namespace liveorigin::cluster {

using nlohmann::json;

namespace {

// Lua's cjson writes every number as a double: read integers from either form.
std::int64_t integer(const json& value, const char* name) {
  const auto it = value.find(name);
  if (it == value.end() || it->is_null()) return 0;
  if (!it->is_number()) throw std::runtime_error(std::string(name) + " is not a number");
  return it->is_number_float() ? static_cast<std::int64_t>(it->get<double>()) : it->get<std::int64_t>();
}

}  // namespace

std::string encode_claim(const ClaimValue& v) {
  json out{{"node", v.node}, {"app", v.app},   {"stream", v.stream}, {"ip", v.ip},
           {"protocol", v.protocol}, {"started_at", v.started_at}, {"rtmp", v.rtmp}, {"http", v.http}};
  if (v.epoch) out["epoch"] = v.epoch;
  if (v.claimed_ms) out["claimed_ms"] = v.claimed_ms;
  if (v.renewed_ms) out["renewed_ms"] = v.renewed_ms;
  if (v.last_media_ms) out["last_media_ms"] = v.last_media_ms;
  return out.dump();
}

std::optional<ClaimValue> decode_claim(std::string_view text) {
  const auto value = json::parse(text, nullptr, false);
  if (!value.is_object()) return std::nullopt;
  try {
    ClaimValue v;
    v.node = value.at("node").get<std::string>();
    v.app = value.at("app").get<std::string>();
    v.stream = value.at("stream").get<std::string>();
    v.ip = value.value("ip", "");
    v.protocol = value.value("protocol", "");
    v.rtmp = value.value("rtmp", "");
    v.http = value.value("http", "");
    v.started_at = integer(value, "started_at");
    v.epoch = static_cast<std::uint64_t>(integer(value, "epoch"));
    v.claimed_ms = integer(value, "claimed_ms");
    v.renewed_ms = integer(value, "renewed_ms");
    v.last_media_ms = integer(value, "last_media_ms");
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ScriptAnswer parse_script_answer(const RedisReply& reply) {
  if (reply.is_error()) throw std::runtime_error(reply.text);
  if (reply.type != RedisReply::Type::array || reply.elements.size() != 3 ||
      reply.elements[1].type != RedisReply::Type::integer) {
    throw std::runtime_error("unexpected answer from the cluster script");
  }
  ScriptAnswer out;
  const auto& word = reply.elements[0].text;
  if (word == "granted") {
    out.kind = ScriptAnswer::Kind::granted;
  } else if (word == "busy") {
    out.kind = ScriptAnswer::Kind::busy;
  } else if (word == "held") {
    out.kind = ScriptAnswer::Kind::held;
  } else if (word == "retaken") {
    out.kind = ScriptAnswer::Kind::retaken;
  } else if (word == "lost") {
    out.kind = ScriptAnswer::Kind::lost;
  } else {
    throw std::runtime_error("unexpected answer from the cluster script: '" + word + "'");
  }
  if (reply.elements[1].integer < 0) throw std::runtime_error("negative epoch from the cluster script");
  out.epoch = static_cast<std::uint64_t>(reply.elements[1].integer);
  if (!reply.elements[2].text.empty()) out.other = decode_claim(reply.elements[2].text);
  return out;
}

hub::ClaimResult to_claim_result(const ScriptAnswer& answer) {
  hub::ClaimResult result;
  if (answer.kind == ScriptAnswer::Kind::granted) {
    result.outcome = hub::ClaimResult::Outcome::granted;
    result.epoch = answer.epoch;
    if (answer.other) result.replaced = hub::PublisherInfo{answer.other->ip, answer.other->protocol, answer.other->started_at, {}};
  } else {
    result.outcome = hub::ClaimResult::Outcome::busy;
    if (answer.other) result.holder = answer.other->node;
  }
  return result;
}

std::optional<hub::StreamKey> parse_stream_key(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  hub::StreamKey key{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
  if (!hub::is_valid_name(key.app) || !hub::is_valid_name(key.name)) return std::nullopt;
  return key;
}

}  // namespace liveorigin::cluster
