#include "page_routes.hpp"

#include <nlohmann/json.hpp>

#include "liveorigin/hub/names.hpp"
#include "liveorigin/media/packet.hpp"
#include "liveorigin/web/assets.hpp"

namespace liveorigin::http {

namespace {

Reply not_found(std::string_view what) {
  auto r = Reply::text(404, std::string(what) + "\n");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

Reply from_asset(const web::Asset& asset, const PageRequest& request) {
  auto answer = web::asset_reply(asset, {request.if_none_match, request.accept_encoding}, web::page_csp());
  Reply r;
  r.status = answer.status;
  r.content_type = std::move(answer.content_type);
  r.headers = std::move(answer.headers);
  if (!answer.body.empty()) r.body = std::make_shared<const Bytes>(answer.body.begin(), answer.body.end());
  return r;
}

// app, stream, codecs and size of the live streams of publicly listed apps: what / shows.
Reply stream_list(const config::Config& config, const hub::Hub& hub) {
  auto list = nlohmann::json::array();
  for (const auto& stream : hub.streams()) {
    const auto* app = config.find_app(stream->key().app);
    if (!app || !listed_publicly(*app)) continue;
    nlohmann::json entry{{"app", stream->key().app}, {"stream", stream->key().name}, {"video", nullptr},
                         {"audio", nullptr}};
    if (const auto video = stream->stats()->video()) {
      entry["video"] = {{"codec", media::codec_name(video->codec)}, {"width", video->width},
                        {"height", video->height}};
    }
    if (const auto audio = stream->stats()->audio()) entry["audio"] = {{"codec", media::codec_name(audio->codec)}};
    list.push_back(std::move(entry));
  }
  const auto text = nlohmann::json{{"streams", std::move(list)}}.dump();
  Reply r;
  r.content_type = "application/json";
  r.headers = {{"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}};
  r.body = std::make_shared<const Bytes>(text.begin(), text.end());
  return r;
}

}  // namespace

bool listed_publicly(const config::AppConfig& app) { return app.player_page && !app.play_auth.enabled(); }

std::optional<Reply> page_reply(const config::Config& config, const hub::Hub& hub, const PageRequest& request) {
  const auto& segments = request.target.segments;
  std::string_view asset_path;
  if (segments.empty()) {
    asset_path = "/static/index.html";
  } else if (segments.size() == 1 && segments[0] == "streams.json") {
    return stream_list(config, hub);
  } else if (segments.size() == 3 && segments[0] == "play") {
    // The page itself holds no stream data (the media URLs check play auth); it exists only for
    // a configured app with its player page on.
    if (!hub::is_valid_name(segments[1]) || !hub::is_valid_name(segments[2])) {
      return Reply::text(400, "invalid app or stream name\n");
    }
    const auto* app = config.find_app(segments[1]);
    if (!app) return not_found("unknown app '" + segments[1] + "'");
    if (!app->player_page) return not_found("the player page is off for app '" + segments[1] + "'");
    asset_path = "/static/player.html";
  } else if (segments.size() == 2 && segments[0] == "static") {
    const auto asset = web::find_asset("/static/" + segments[1]);
    if (!asset) return std::nullopt;  // e.g. an app named "static": its FLV and HLS URLs
    return from_asset(*asset, request);
  } else {
    return std::nullopt;
  }
  const auto asset = web::find_asset(asset_path);
  if (!asset) return not_found("page not built in");
  return from_asset(*asset, request);
}

}  // namespace liveorigin::http
