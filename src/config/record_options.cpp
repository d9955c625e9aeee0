#include "liveorigin/config/record_options.hpp"

#include <charconv>
#include <cmath>

namespace liveorigin::config {

UrlRecordOptions url_record_options(const RecordConfig& record, std::map<std::string, std::string> query) {
  UrlRecordOptions out;
  const bool asks = query.contains("record") || query.contains("record_interval");
  if (!record.allow_url) {
    if (asks) out.notes.emplace_back("record options in the URL ignored: record.allow_url is false for this app");
    query.erase("record");
    query.erase("record_interval");
  } else if (const auto it = query.find("record_interval"); it != query.end()) {
    double value = 0;
    const auto& text = it->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // Malformed values are left for the recorder, which ignores them.
    if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(value) && value > 0 &&
        value < kMinRecordInterval) {
      out.notes.emplace_back("record_interval=" + text + " raised to the minimum of " +
                             std::to_string(static_cast<int>(kMinRecordInterval)) + " s");
      it->second = std::to_string(static_cast<int>(kMinRecordInterval));
    }
  }
  out.query = std::move(query);
  return out;
}

}  // namespace liveorigin::config
