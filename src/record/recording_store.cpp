#include "liveorigin/record/recording_store.hpp"

namespace liveorigin::record {

void insert_recording(store::Connection& db, const LandedRecording& r, std::int64_t now_s) {
  auto st = db.prepare(
      "INSERT INTO recordings (app, stream, file_path, file_name, format, file_size, start_time, "
      "end_time, duration, recovered, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
      "ON CONFLICT (file_path) DO UPDATE SET file_size = excluded.file_size, "
      "start_time = excluded.start_time, end_time = excluded.end_time, duration = excluded.duration, "
      "recovered = excluded.recovered");
  st.bind(1, r.app).bind(2, r.stream).bind(3, r.file_path).bind(4, r.file_name);
  st.bind(5, extension(r.format)).bind(6, static_cast<std::int64_t>(r.file_size));
  st.bind(7, r.start_time).bind(8, r.end_time).bind(9, r.duration);
  st.bind(10, static_cast<std::int64_t>(r.recovered ? 1 : 0)).bind(11, now_s);
  st.run();
}

std::vector<LandedRecording> list_recordings(store::Connection& db, std::string_view app,
                                             std::string_view stream, int limit) {
  auto st = db.prepare(
      "SELECT app, stream, file_path, file_name, format, file_size, start_time, end_time, duration, "
      "recovered FROM recordings WHERE (?1 = '' OR app = ?1) AND (?2 = '' OR stream = ?2) "
      "ORDER BY start_time DESC, id DESC LIMIT ?3");
  st.bind(1, app).bind(2, stream).bind(3, static_cast<std::int64_t>(limit));
  std::vector<LandedRecording> out;
  while (st.step()) {
    LandedRecording r;
    r.app = st.column_text(0);
    r.stream = st.column_text(1);
    r.file_path = st.column_text(2);
    r.file_name = st.column_text(3);
    r.format = parse_format(st.column_text(4)).value_or(Format::mp4);
    r.file_size = static_cast<std::uint64_t>(st.column_int(5));
    r.start_time = st.column_int(6);
    r.end_time = st.column_int(7);
    r.duration = st.column_double(8);
    r.recovered = st.column_int(9) != 0;
    r.vod_path = "/vod/" + r.app + "/" + r.stream + "/" + r.file_name;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace liveorigin::record
