// GET /api/v1/recordings?app=&stream=[&limit=N]: landed recordings, newest first (PRODUCT.md §7).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "liveorigin/api/router.hpp"
#include "liveorigin/store/database.hpp"

namespace liveorigin::api {

// video_url turns a recording's "/vod/APP/STREAM/FILE" path into the URL players use, signed when
// the app has play auth (unset: the path).
using VideoUrl = std::function<std::string(const std::string& app, const std::string& stream, std::string_view vod_path)>;
void add_recording_routes(Router& router, store::Database& database, VideoUrl video_url = {});

}  // namespace liveorigin::api
