#include "hls_routes.hpp"

#include <spdlog/spdlog.h>

#include "liveorigin/access/access.hpp"
#include "liveorigin/common/log.hpp"
#include "liveorigin/hub/names.hpp"
#include "liveorigin/common/query.hpp"

namespace liveorigin::http {

namespace {

// Short for the playlist (it changes every segment), long for segments: their names are never
// reused (the playlist id is in them), so a CDN may keep them.
constexpr const char* kPlaylistCache = "max-age=1";
constexpr const char* kSegmentCache = "max-age=3600";

Reply not_found(std::string_view what) {
  auto r = Reply::text(404, std::string(what) + "\n");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

// The playlist names "STREAM-ID-SEQ.ts": its stream is everything before the last two dashes.
std::string_view stream_of_segment(std::string_view segment) {
  auto dash = segment.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return {};
  dash = segment.rfind('-', dash - 1);
  return dash == std::string_view::npos ? std::string_view{} : segment.substr(0, dash);
}

// A session id longer than this is ignored: real ones are UUID-sized.
constexpr std::size_t kMaxSessionId = 64;
// The query handed on to segment URIs: only what segments need (the signature, the session id),
// and never more than this, so one request cannot make every segment line of its playlist long.
constexpr std::size_t kMaxEchoedQuery = 256;

// The parameters of `query` worth repeating on each segment URI (txSecret, txTime, session_id or
// sid), as they came (still percent-encoded), within kMaxEchoedQuery; the rest is dropped.
std::string echoed_query(std::string_view query) {
  std::string out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto name = param.substr(0, param.find('='));
    const bool session = name == "session_id" || name == "sid";
    if (name != "txSecret" && name != "txTime" && !session) continue;
    if (session && param.size() > name.size() + 1 + kMaxSessionId) continue;
    if (out.size() + 1 + param.size() > kMaxEchoedQuery) continue;
    if (!out.empty()) out += '&';
    out += param;
  }
  return out;
}

}  // namespace

std::optional<Reply> hls_reply(hls::Library& library, const config::Config& config, const HlsRequest& request) {
  const auto& target = request.target;
  if (target.segments.size() != 2) return std::nullopt;
  const auto& app_name = target.segments[0];
  const auto& file = target.segments[1];
  const auto playlist_stream = strip_suffix(file, ".m3u8");
  // MPEG-TS segments, fMP4 fragments and their init segments.
  auto segment_file = strip_suffix(file, ".ts");
  std::string_view content_type = "video/mp2t";
  if (segment_file.empty()) {
    segment_file = strip_suffix(file, ".m4s");
    content_type = "video/iso.segment";
  }
  if (segment_file.empty()) {
    segment_file = strip_suffix(file, ".mp4");
    content_type = "video/mp4";
  }
  if (playlist_stream.empty() && segment_file.empty()) return std::nullopt;

  const auto stream = playlist_stream.empty() ? stream_of_segment(segment_file) : playlist_stream;
  if (!hub::is_valid_name(app_name) || !hub::is_valid_name(stream)) {
    return Reply::text(400, "invalid app or stream name\n");
  }
  const auto* app = config.find_app(app_name);
  if (!app) return not_found("unknown app '" + app_name + "'");
  if (!app->hls.enabled) return not_found("HLS is off for app '" + app_name + "'");
  const hub::StreamKey key{app_name, std::string(stream)};

  // play auth: check `target.query` for `key` here, before anything is served. The
  // playlist hands its own query on to every segment URI, so signed segment URLs verify alike.
  if (const auto auth = access::check_auth(app->play_auth, key.name, common::parse_query(target.query),
                                           access::unix_now());
      auth != access::AuthResult::ok) {
    spdlog::info("hls {}: play refused: {}", log_text(key.str()), access::to_string(auth));
    return Reply::text(403, "forbidden: play auth failed: " + std::string(access::to_string(auth)) + "\n");
  }

  if (!playlist_stream.empty()) {
    const auto snapshot = library.playlist(key);
    if (!snapshot) {
      return not_found(library.starting(key) ? "no segment yet: the stream started less than a fragment ago, retry"
                                             : "stream not found");
    }
    const auto query = common::parse_query(target.query);
    auto session = query.find("session_id");
    if (session == query.end() || session->second.size() > kMaxSessionId) session = query.find("sid");
    if (session != query.end() && session->second.size() > kMaxSessionId) session = query.end();
    library.note_player(key, session != query.end()
                                 ? "s:" + session->second
                                 : "a:" + std::string(request.peer_address) + " " + std::string(request.user_agent));
    Reply r;
    r.content_type = "application/vnd.apple.mpegurl";
    r.headers.emplace_back("Cache-Control", kPlaylistCache);
    const auto echoed = echoed_query(target.query);
    if (echoed.empty()) {
      r.body = snapshot->text;  // shared, not copied
    } else {
      const auto text = snapshot->playlist.render(echoed);
      r.body = std::make_shared<const Bytes>(text.begin(), text.end());
    }
    return r;
  }
  auto data = library.segment(key, file);
  if (!data) return not_found("segment not found");
  Reply r;
  r.content_type = std::string(content_type);
  r.headers.emplace_back("Cache-Control", kSegmentCache);
  r.body = std::move(data);
  return r;
}

}  // namespace liveorigin::http
