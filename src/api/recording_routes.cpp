#include "liveorigin/api/recording_routes.hpp"

#include <charconv>

#include "liveorigin/hub/names.hpp"
#include "liveorigin/record/recording_store.hpp"

namespace liveorigin::api {

namespace {

constexpr int kDefaultLimit = 1000, kMaxLimit = 10000;

std::string name_filter(const Request& request, const char* key) {
  const auto it = request.query.find(key);
  if (it == request.query.end() || it->second.empty()) return {};
  if (!hub::is_valid_name(it->second)) {
    throw ApiError(400, 400, std::string("invalid ") + key + " name (allowed: [A-Za-z0-9_.-]{1,128})");
  }
  return it->second;
}

int limit_of(const Request& request) {
  const auto it = request.query.find("limit");
  if (it == request.query.end()) return kDefaultLimit;
  int v = 0;
  const auto& s = it->second;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 1 || v > kMaxLimit) {
    throw ApiError(400, 400, "limit must be 1-" + std::to_string(kMaxLimit));
  }
  return v;
}

}  // namespace

void add_recording_routes(Router& router, store::Database& database, VideoUrl video_url) {
  router.add("GET", "/api/v1/recordings",
             [&database, video_url = std::move(video_url)](const Request& request, const Params&) {
               const auto app = name_filter(request, "app");
               const auto stream = name_filter(request, "stream");
               const int limit = limit_of(request);
               const auto rows = database.call([&](store::Connection& c) {
                 return record::list_recordings(c, app, stream, limit);
               });
               nlohmann::json list = nlohmann::json::array();
               for (const auto& r : rows) {
                 list.push_back({{"app", r.app},
                                 {"stream", r.stream},
                                 {"file_name", r.file_name},
                                 {"file_path", r.file_path},
                                 {"file_format", record::extension(r.format)},
                                 {"file_size", r.file_size},
                                 {"start_time", r.start_time},
                                 {"end_time", r.end_time},
                                 {"duration", r.duration},
                                 {"recovered", r.recovered},
                                 {"vod_path", r.vod_path},
                                 {"video_url", video_url ? video_url(r.app, r.stream, r.vod_path) : r.vod_path}});
               }
               Response response;
               response.data = std::move(list);
               return response;
             });
}

}  // namespace liveorigin::api
