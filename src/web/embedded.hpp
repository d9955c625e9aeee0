// The table the build generates from web/ (cmake/embed_web.cmake); read through find_asset().
#pragma once

#include <span>
#include <string_view>

namespace liveorigin::web {

struct EmbeddedFile {
  std::string_view path;
  std::string_view content_type;
  std::span<const unsigned char> bytes;
  std::span<const unsigned char> gzip;  // empty when gzip would not save a tenth
  std::string_view etag;
  bool library;
};

std::span<const EmbeddedFile> embedded_files();

}  // namespace liveorigin::web
