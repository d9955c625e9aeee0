#include "liveorigin/web/assets.hpp"

#include "embedded.hpp"

namespace liveorigin::web {

namespace {

// Our pages change with every release under the same URL: the browser revalidates (ETag).
constexpr std::string_view kPageCache = "no-cache";
// A library changes only when its pinned version does; a day between revalidations is plenty.
constexpr std::string_view kLibraryCache = "public, max-age=86400";

// Whether an Accept-Encoding header allows gzip (not "gzip;q=0").
bool accepts_gzip(std::string_view header) {
  for (std::size_t start = 0; start < header.size();) {
    auto end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    auto item = header.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const auto semicolon = item.find(';');
    auto coding = item.substr(0, semicolon);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding == "gzip" || coding == "*") {
      if (semicolon == std::string_view::npos) return true;
      const auto q = item.substr(semicolon + 1);
      const auto equals = q.find('=');
      const auto value = equals == std::string_view::npos ? std::string_view{} : q.substr(equals + 1);
      return value.find_first_not_of("0. ") != std::string_view::npos;  // "q=0", "q=0.0" refuse
    }
    start = end + 1;
  }
  return false;
}

// If-None-Match names our tag (the gzip copy's tag is ours with a suffix), or is "*".
bool etag_matches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (header.find('*') != std::string_view::npos) return true;
  const auto bare = etag.substr(1, etag.size() - 2);  // without the quotes
  return header.find(bare) != std::string_view::npos;
}

}  // namespace

std::optional<Asset> find_asset(std::string_view path) {
  for (const auto& file : embedded_files()) {
    if (file.path == path) return Asset{file.path, file.content_type, file.bytes, file.gzip, file.etag, file.library};
  }
  return std::nullopt;
}

AssetReply asset_reply(const Asset& asset, const AssetRequest& request, std::string_view csp) {
  AssetReply reply;
  reply.content_type = std::string(asset.content_type);
  const bool gzip = !asset.gzip.empty() && accepts_gzip(request.accept_encoding);
  std::string etag(asset.etag);
  if (gzip) etag.insert(etag.size() - 1, "-gz");
  auto& headers = reply.headers;
  headers.emplace_back("ETag", etag);
  headers.emplace_back("Cache-Control", asset.library ? kLibraryCache : kPageCache);
  headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!asset.gzip.empty()) headers.emplace_back("Vary", "Accept-Encoding");
  if (asset.content_type.starts_with("text/html")) {
    headers.emplace_back("Content-Security-Policy", std::string(csp));
    headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  if (etag_matches(request.if_none_match, asset.etag)) {
    reply.status = 304;
    return reply;
  }
  if (gzip) headers.emplace_back("Content-Encoding", "gzip");
  reply.body = gzip ? asset.gzip : asset.bytes;
  return reply;
}

std::string page_csp(std::string_view media_origin) {
  std::string media(media_origin);
  if (!media.empty()) media.insert(0, " ");
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "media-src 'self' blob:" + media + "; connect-src 'self'" + media +
         "; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'";
}

}  // namespace liveorigin::web
