#include "liveorigin/record/recording_file.hpp"

#include <charconv>
#include <cmath>
#include <ctime>

#include "liveorigin/hub/names.hpp"

namespace liveorigin::record {

std::string_view extension(Format format) {
  return format == Format::flv ? "flv" : format == Format::mp4 ? "mp4" : "hls";
}

std::optional<Format> parse_format(std::string_view text) {
  if (text == "flv") return Format::flv;
  if (text == "mp4") return Format::mp4;
  if (text == "hls") return Format::hls;
  return std::nullopt;
}

std::string recording_file_name(std::string_view stream, std::int64_t unix_s, Format format,
                                int collision) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string name = std::string(stream) + "_" + stamp;
  if (collision > 0) name += "-" + std::to_string(collision);
  name += ".";
  name += extension(format);
  return name;
}

std::optional<std::int64_t> parse_start_time(std::string_view stream, std::string_view file_name) {
  // STREAM _ YYYYmmdd - HHMMSS
  if (file_name.size() < stream.size() + 16 || file_name.substr(0, stream.size()) != stream ||
      file_name[stream.size()] != '_')
    return std::nullopt;
  const auto stamp = file_name.substr(stream.size() + 1, 15);
  if (stamp[8] != '-') return std::nullopt;
  auto number = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int v = 0;
    const auto* first = stamp.data() + pos;
    auto [ptr, ec] = std::from_chars(first, first + len, v);
    if (ec != std::errc() || ptr != first + len) return std::nullopt;
    return v;
  };
  std::tm tm{};
  const auto y = number(0, 4), mo = number(4, 2), d = number(6, 2), h = number(9, 2), mi = number(11, 2),
             s = number(13, 2);
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *s;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::optional<Format> format_of(std::string_view file_name) {
  const auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  return parse_format(file_name.substr(dot + 1));
}

bool is_recording_file_name(std::string_view name) {
  return hub::is_valid_name(name) && format_of(name).has_value() && name.size() > 4;
}

std::optional<RecordSettings> resolve_record_settings(bool enabled, std::string_view format,
                                                      double interval_s,
                                                      const std::map<std::string, std::string>& query) {
  std::optional<RecordSettings> settings;
  if (enabled) settings = RecordSettings{parse_format(format).value_or(Format::mp4), interval_s};
  if (auto it = query.find("record"); it != query.end()) {
    if (auto f = parse_format(it->second)) {
      settings = RecordSettings{*f, settings ? settings->interval_s : interval_s};
    }
  }
  if (!settings) return std::nullopt;
  if (auto it = query.find("record_interval"); it != query.end()) {
    double v = 0;
    const auto& text = it->second;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && ptr == text.data() + text.size() && std::isfinite(v) && v >= 0) {
      settings->interval_s = v;
    }
  }
  return settings;
}

}  // namespace liveorigin::record
