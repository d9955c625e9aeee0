#include "liveorigin/notify/event.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace liveorigin::notify {

namespace {
constexpr char kHex[] = "0123456789abcdef";

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}
}  // namespace

std::string md5_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("MD5 unavailable");
  }
  return to_hex(digest.data(), size);
}

std::string body_signature(std::string_view key, std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  static constexpr unsigned char kNoKey[1] = {0};  // HMAC wants a pointer even for an empty key
  const auto* key_bytes = key.empty() ? kNoKey : reinterpret_cast<const unsigned char*>(key.data());
  if (!HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
            body.size(), digest.data(), &size)) {
    throw std::runtime_error("HMAC-SHA256 unavailable");
  }
  return "sha256=" + to_hex(digest.data(), size);
}

std::string sign(std::string_view key, std::int64_t t) {
  return md5_hex(std::string(key) + std::to_string(t));
}

nlohmann::json make_payload(const EventHeader& h, std::string_view key) {
  const std::int64_t t = h.event_time_ms / 1000 + kSignatureLifetimeS;
  return {{"event", h.event},         {"event_type", h.event_type}, {"event_id", h.event_id},
          {"sequence", h.sequence},   {"app", h.app},               {"stream_id", h.stream},
          {"t", t},                   {"sign", sign(key, t)},       {"event_time", h.event_time_ms},
          {"client_ip", h.client_ip}};
}

nlohmann::json make_unpublish_payload(EventHeader header, std::string_view reason, std::string_view key) {
  header.event = "unpublish";
  header.event_type = kUnpublishType;
  auto payload = make_payload(header, key);
  payload["reason"] = public_reason(reason);
  return payload;
}

nlohmann::json make_record_payload(EventHeader header, const RecordEvent& r, std::string_view key) {
  header.event = "record";
  header.event_type = kRecordType;
  auto payload = make_payload(header, key);
  payload["file_path"] = r.file_path;
  payload["video_url"] = r.video_url;
  payload["file_format"] = r.file_format;
  payload["file_size"] = r.file_size;
  payload["start_time"] = r.start_time;
  payload["end_time"] = r.end_time;
  payload["duration"] = r.duration;
  return payload;
}

std::string new_event_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no random bytes for an event id");
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // UUID version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const auto hex = to_hex(bytes.data(), bytes.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

std::string new_sequence() {
  std::uint64_t value = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
    throw std::runtime_error("no random bytes for a sequence");
  }
  return std::to_string(value >> 1);
}

std::string_view public_reason(std::string_view reason) {
  for (std::string_view known : {"closed", "dropped", "disabled", "timeout", "shutdown"}) {
    if (reason == known) return known;
  }
  return "closed";
}

}  // namespace liveorigin::notify
