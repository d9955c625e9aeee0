// The JSON bodies a backend receives (PRODUCT.md section 6) and their signature. Pure functions:
// what goes into the outbox is built here, once, and sent unchanged on every attempt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace liveorigin::notify {

inline constexpr int kUnpublishType = 0;
inline constexpr int kPublishType = 1;
inline constexpr int kRecordType = 100;
// t = event time + this: how long the signature stays valid for a backend that checks it.
inline constexpr std::int64_t kSignatureLifetimeS = 600;

// A recording that landed (the recorder hands it to Notifier::record from any thread).
struct RecordEvent {
  std::string app, stream;
  std::string file_path;        // absolute
  std::string video_url;        // the VOD URL
  std::string file_format;      // "flv" | "mp4"
  std::int64_t file_size = 0;   // bytes
  std::int64_t start_time = 0;  // Unix seconds
  std::int64_t end_time = 0;    // Unix seconds
  double duration = 0;          // seconds
  std::string client_ip;        // the publisher's
  bool recovered = false;       // landed from a .part a crash left: its session is in the outbox
};

// What every event carries besides t and sign.
struct EventHeader {
  std::string event;  // "publish" | "unpublish" | "record"
  int event_type = 0;
  std::string event_id;
  std::string sequence;  // shared by the publish and unpublish of one publishing session
  std::string app, stream;
  std::string client_ip;
  std::int64_t event_time_ms = 0;  // Unix ms
};

// Lowercase hex MD5 of data.
std::string md5_hex(std::string_view data);
// sign = md5_hex(key + t), t in decimal.
std::string sign(std::string_view key, std::int64_t t);

// The header that signs the body itself (the sign field signs only t).
inline constexpr std::string_view kSignatureHeader = "X-Liveorigin-Signature";
// "sha256=" + lowercase hex HMAC-SHA256(key, body), over the exact bytes sent.
std::string body_signature(std::string_view key, std::string_view body);

// The common fields, with t = event time (s) + kSignatureLifetimeS and its sign.
nlohmann::json make_payload(const EventHeader& header, std::string_view key);
nlohmann::json make_unpublish_payload(EventHeader header, std::string_view reason, std::string_view key);
nlohmann::json make_record_payload(EventHeader header, const RecordEvent& record, std::string_view key);

// 128 random bits as a UUID-shaped string (8-4-4-4-12 lowercase hex): unique across restarts.
std::string new_event_id();

// A random 63-bit number in decimal (a string, so JavaScript backends keep every digit).
std::string new_sequence();

// The unpublish reason a backend sees: closed, dropped, disabled, timeout or shutdown. The
// session's internal reasons for other endings (a protocol error, a second publish on the same
// connection) are reported as "closed".
std::string_view public_reason(std::string_view reason);

}  // namespace liveorigin::notify
