// GET /api/v1/recordings?app=&stream=[&limit=N]: landed recordings, newest first (PRODUCT.md §7).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "liveorigin/api/router.hpp"
#include "liveorigin/store/database.hpp"

namespace liveorigin::api {

// video_url turns a "/vod/APP/STREAM/FILE" path into the URL players use (unset: the path).
void add_recording_routes(Router& router, store::Database& database,
                          std::function<std::string(std::string_view vod_path)> video_url = {});

}  // namespace liveorigin::api
