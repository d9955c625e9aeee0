// The one rule for APP and STREAM names, applied by every protocol and the API.
#pragma once

#include <string_view>

namespace liveorigin::hub {

// [A-Za-z0-9_.-]{1,128}, never "." or "..".
inline bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace liveorigin::hub
