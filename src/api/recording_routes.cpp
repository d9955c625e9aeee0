#include "liveorigin/api/recording_routes.hpp"

#include <charconv>

#include "checks.hpp"
#include "liveorigin/record/recording_store.hpp"

namespace liveorigin::api {

namespace {

constexpr int kDefaultLimit = 1000, kMaxLimit = 10000;

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
               const auto app = optional_name(request, "app");
               const auto stream = optional_name(request, "stream");
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
