// What a push URL may ask of recording (record=flv|mp4, record_interval=SEC), as the app's
// record config allows it. Pure: the caller logs the notes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "liveorigin/config/config.hpp"

namespace liveorigin::config {

struct UrlRecordOptions {
  std::map<std::string, std::string> query;  // the publish query, recording keys as allowed
  std::vector<std::string> notes;            // one line per change made, for the log
};

// record.allow_url false: record= and record_interval= are dropped. A record_interval above 0
// and under kMinRecordInterval is raised to it. Other keys pass unchanged.
UrlRecordOptions url_record_options(const RecordConfig& record, std::map<std::string, std::string> query);

}  // namespace liveorigin::config
