// The per-format halves of land_file (media_file.hpp).
#pragma once

#include <optional>
#include <string>

#include "liveorigin/record/media_file.hpp"

namespace liveorigin::record {

std::optional<LandedFile> land_flv(const std::string& part_path, const std::string& final_path,
                                   std::optional<double> known_duration_s);
std::optional<LandedFile> land_mp4(const std::string& part_path, const std::string& final_path);

}  // namespace liveorigin::record
