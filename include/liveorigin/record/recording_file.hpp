// Where recordings live and what they are called: DATA/vod/APP/STREAM/STREAM_YYYYmmdd-HHMMSS.EXT,
// written as EXT.part and renamed when they land. Names use UTC, so a name maps back to one
// instant (recovery reads the start time from it) and DST never makes two files share a name.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace liveorigin::record {

// hls: a folder STREAM_YYYYmmdd-HHMMSS.hls holding a VOD playlist (kHlsPlaylist) and its segments.
enum class Format { flv, mp4, hls };

inline constexpr std::string_view kPartSuffix = ".part";
inline constexpr std::string_view kHlsPlaylist = "index.m3u8";

std::string_view extension(Format format);  // "flv" | "mp4" | "hls"
std::optional<Format> parse_format(std::string_view text);

// STREAM_YYYYmmdd-HHMMSS.EXT for a start at unix_s (UTC); collision > 0 appends "-N" before the
// extension (a republish within the same second).
std::string recording_file_name(std::string_view stream, std::int64_t unix_s, Format format,
                                int collision = 0);

// The start time (Unix seconds) a name produced by recording_file_name carries, or nullopt.
std::optional<std::int64_t> parse_start_time(std::string_view stream, std::string_view file_name);

// A name that may be served or listed: a valid hub name ending in .flv, .mp4 or .hls (so never .part).
bool is_recording_file_name(std::string_view name);
std::optional<Format> format_of(std::string_view file_name);

// How one publishing session is recorded.
struct RecordSettings {
  Format format = Format::mp4;
  double interval_s = 0;  // 0 = one file per session
  double hls_fragment_s = 2;  // Format::hls: segment length (the app's hls.fragment)
  friend bool operator==(const RecordSettings&, const RecordSettings&) = default;
};

// The app's record config with the push URL's record=flv|mp4 and record_interval=SEC over it (the
// URL wins: record=... records even when the app's recording is off). nullopt = do not record.
// Malformed URL values are ignored (the config applies).
std::optional<RecordSettings> resolve_record_settings(bool enabled, std::string_view format,
                                                      double interval_s,
                                                      const std::map<std::string, std::string>& query);

}  // namespace liveorigin::record
