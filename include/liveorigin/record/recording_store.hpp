// Landed recordings in the store's `recordings` table. Run these on the store thread (in a
// Database::post / call job).
#pragma once

#include <string_view>
#include <vector>

#include "liveorigin/record/recorder.hpp"
#include "liveorigin/store/database.hpp"

namespace liveorigin::record {

// One row per landed file; a file reported twice (recovered again) keeps one row, updated.
void insert_recording(store::Connection& db, const LandedRecording& recording, std::int64_t now_s);

// Newest first; an empty app / stream matches all. At most `limit` rows.
std::vector<LandedRecording> list_recordings(store::Connection& db, std::string_view app,
                                             std::string_view stream, int limit = 1000);

}  // namespace liveorigin::record
