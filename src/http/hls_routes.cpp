#include "hls_routes.hpp"

#include <spdlog/spdlog.h>

#include "liveorigin/access/access.hpp"
#include "liveorigin/common/log.hpp"
#include "liveorigin/hub/names.hpp"
#include "liveorigin/common/query.hpp"
#include "play_refusal.hpp"

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

// Billing: the answer's bytes once written, and the player time a playlist fetch tells.
void count_usage(Reply& reply, hub::UsageMeter* meter, const hub::StreamKey& key, std::chrono::milliseconds played) {
  if (!meter) return;
  auto usage = meter->stream(key);
  if (played.count() > 0) usage->add_player_ms(hub::PlayProtocol::hls, played.count());
  reply.on_written = [usage = std::move(usage)](std::uint64_t n) {
    usage->add_bytes_out(static_cast<std::size_t>(hub::PlayProtocol::hls), n);
  };
}

}  // namespace

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

namespace {

constexpr const char* kPlaylistType = "application/vnd.apple.mpegurl";

Reply playlist_reply(const hls::PlaylistSnapshot& snapshot, std::string_view query) {
  Reply r;
  r.content_type = kPlaylistType;
  r.headers.emplace_back("Cache-Control", kPlaylistCache);
  const auto echoed = echoed_query(query);
  if (echoed.empty()) {
    r.body = snapshot.text;  // shared, not copied
  } else {
    const auto text = snapshot.playlist.render(echoed);
    r.body = std::make_shared<const Bytes>(text.begin(), text.end());
  }
  return r;
}

}  // namespace

std::optional<Reply> hls_reply(hls::Library& library, const access::Access& play_access, const config::Config& config,
                               const HlsRequest& request) {
  const auto& target = request.target;
  // APP/STREAM.m3u8 and its segments; APP/STREAM/master.m3u8 (the multivariant playlist) and the
  // audio renditions it lists, APP/STREAM/audioN.m3u8, with their segments beside them.
  if (target.segments.size() != 2 && target.segments.size() != 3) return std::nullopt;
  const bool in_stream_dir = target.segments.size() == 3;
  const auto& app_name = target.segments[0];
  const auto& file = target.segments.back();
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

  const auto file_stream = playlist_stream.empty() ? stream_of_segment(segment_file) : playlist_stream;
  const std::string_view stream = in_stream_dir ? std::string_view(target.segments[1]) : file_stream;
  // The playlist hands its own query on to every segment URI, so signed segment URLs verify alike.
  const auto query = common::parse_query(target.query);
  const auto admission =
      play_access.admit_play(config, {app_name, stream, query, access::Delivery::hls, access::unix_now()});
  if (!admission.ok()) {
    auto reply = play_refusal(admission.decision);
    if (reply.status == 404) {
      reply.headers.emplace_back("Cache-Control", "no-cache");
    } else {
      spdlog::info("hls {}/{}: play refused: {}", log_text(app_name), log_text(stream), admission.decision.reason);
    }
    return reply;
  }
  const hub::StreamKey key{app_name, std::string(stream)};
  // A rendition's entry is keyed STREAM/audioN in the library; usage counts on the stream.
  const hub::StreamKey entry_key = in_stream_dir ? hub::StreamKey{app_name, key.name + "/" + std::string(file_stream)} : key;

  if (in_stream_dir && file == "master.m3u8") {
    auto text = library.multivariant(key, echoed_query(target.query));
    if (!text) return not_found(library.starting(key) ? "no segment yet: retry" : "stream not found");
    Reply r;
    count_usage(r, request.usage, key, {});
    r.content_type = kPlaylistType;
    r.headers.emplace_back("Cache-Control", kPlaylistCache);
    r.body = std::make_shared<const Bytes>(text->begin(), text->end());
    return r;
  }
  if (in_stream_dir && !playlist_stream.empty()) {
    // A rendition's playlist: its player is counted by the stream's own playlist, fetched too.
    const auto snapshot = library.playlist(entry_key);
    if (!snapshot) return not_found("rendition not found");
    auto r = playlist_reply(*snapshot, target.query);
    count_usage(r, request.usage, key, {});
    return r;
  }

  if (!playlist_stream.empty()) {
    const auto snapshot = library.playlist(key);
    if (!snapshot) {
      return not_found(library.starting(key) ? "no segment yet: the stream started less than a fragment ago, retry"
                                             : "stream not found");
    }
    auto session = query.find("session_id");
    if (session == query.end() || session->second.size() > kMaxSessionId) session = query.find("sid");
    if (session != query.end() && session->second.size() > kMaxSessionId) session = query.end();
    const auto played = library.note_player(
        key, session != query.end() ? "s:" + session->second
                                    : "a:" + std::string(request.peer_address) + " " + std::string(request.user_agent));
    auto r = playlist_reply(*snapshot, target.query);
    count_usage(r, request.usage, key, played);
    return r;
  }
  auto data = library.segment(entry_key, file);
  if (!data) return not_found("segment not found");
  Reply r;
  count_usage(r, request.usage, key, {});
  r.content_type = std::string(content_type);
  r.headers.emplace_back("Cache-Control", kSegmentCache);
  r.body = std::move(data);
  return r;
}

}  // namespace liveorigin::http
