// The browser files — player page, stream list, operator console and the pinned npm libraries
// (web/) — built into the binary, and how they are answered over HTTP. No sockets here: both HTTP
// listeners turn an AssetReply into their own response.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace liveorigin::web {

struct Asset {
  std::string_view path;          // the URL path it is served at, e.g. "/static/player.js"
  std::string_view content_type;
  std::span<const unsigned char> bytes;
  std::span<const unsigned char> gzip;  // the same bytes gzip-compressed; empty when not worth it
  std::string_view etag;          // quoted; a hash of the bytes taken at build time
  bool library = false;           // a pinned npm file (cached long) rather than one of our pages
};

// The asset served at `path`, or nullopt.
std::optional<Asset> find_asset(std::string_view path);

// What the request says about caches and encodings.
struct AssetRequest {
  std::string_view if_none_match;
  std::string_view accept_encoding;
};

struct AssetReply {
  unsigned status = 200;  // 200, or 304 when the client's copy is current
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // caching, encoding, security
  std::span<const unsigned char> body;                       // empty on 304
};

// The answer for `asset`: gzip when the client accepts it, 304 on a matching If-None-Match,
// Cache-Control (revalidate our pages, keep the libraries long), nosniff, and on HTML pages the
// Content-Security-Policy `csp`.
AssetReply asset_reply(const Asset& asset, const AssetRequest& request, std::string_view csp);

// A strict policy for our pages: everything from the page's own origin; media also from blob:
// (Media Source Extensions) and from `media_origin` when not empty (the console on the API port
// plays recordings from the media port).
std::string page_csp(std::string_view media_origin = {});

}  // namespace liveorigin::web
