// The per-format halves of land_file (media_file.hpp).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "liveorigin/record/media_file.hpp"

namespace liveorigin::record {

// Files the recorder writes are created by it, never opened through what is already there: a
// symlink or FIFO planted at the name makes this fail instead of being written through.
inline void create_exclusive(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw RecordError("cannot create " + path + ": " + std::strerror(errno));
  ::close(fd);
}

// A regular file itself, not a symlink to one (nor a FIFO, a directory...).
inline bool is_plain_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::symlink_status(path, ec).type() == std::filesystem::file_type::regular;
}

std::optional<LandedFile> land_flv(const std::string& part_path, const std::string& final_path,
                                   std::optional<double> known_duration_s);
std::optional<LandedFile> land_mp4(const std::string& part_path, const std::string& final_path);
std::optional<LandedFile> land_hls(const std::string& part_dir, const std::string& final_dir);

}  // namespace liveorigin::record
