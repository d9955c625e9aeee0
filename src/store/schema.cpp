#include "schema.hpp"

namespace liveorigin::store {

// Version ranges keep features that grow in parallel apart: 1-99 shared tables below,
// 100+ access control, 200+ callbacks, 300+ recordings.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, R"sql(
CREATE TABLE stream_status (
  app        TEXT NOT NULL,
  stream     TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
  changed_by TEXT NOT NULL DEFAULT '',
  changed_at INTEGER NOT NULL,            -- Unix seconds
  PRIMARY KEY (app, stream)
);
CREATE TABLE channels (
  app        TEXT NOT NULL,
  id         TEXT NOT NULL,
  created_at INTEGER NOT NULL,            -- Unix seconds
  PRIMARY KEY (app, id)
);
CREATE TABLE callbacks (                  -- the notifier's outbox
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id        TEXT NOT NULL UNIQUE,
  stream_key      TEXT NOT NULL,          -- APP/STREAM: events of one stream go out in order
  url             TEXT NOT NULL,
  payload         TEXT NOT NULL,          -- the JSON body, exactly as sent on every attempt
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  max_attempts    INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,       -- Unix ms
  last_error      TEXT NOT NULL DEFAULT '',
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL
);
CREATE INDEX callbacks_by_state ON callbacks (state, stream_key, id);
CREATE TABLE recordings (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  app        TEXT NOT NULL,
  stream     TEXT NOT NULL,
  file_path  TEXT NOT NULL UNIQUE,        -- absolute
  file_name  TEXT NOT NULL,
  format     TEXT NOT NULL CHECK (format IN ('flv', 'mp4')),
  file_size  INTEGER NOT NULL,
  start_time INTEGER NOT NULL,            -- Unix seconds
  end_time   INTEGER NOT NULL,
  duration   REAL NOT NULL,               -- seconds
  recovered  INTEGER NOT NULL DEFAULT 0,  -- 1 when rebuilt from a .part after a crash
  created_at INTEGER NOT NULL
);
CREATE INDEX recordings_by_stream ON recordings (app, stream, start_time);
)sql"},
      {2, R"sql(
CREATE TABLE streams_seen (               -- every stream that has published: known while offline
  app                TEXT NOT NULL,
  stream             TEXT NOT NULL,
  first_published_at INTEGER NOT NULL,    -- Unix seconds
  last_published_at  INTEGER NOT NULL,
  PRIMARY KEY (app, stream)
);
-- What version 1 already knew of: recordings, and publish events in the callback outbox.
INSERT OR IGNORE INTO streams_seen
  SELECT app, stream, MIN(start_time), MAX(start_time) FROM recordings GROUP BY app, stream;
INSERT OR IGNORE INTO streams_seen
  SELECT json_extract(payload, '$.app'), json_extract(payload, '$.stream_id'),
         MIN(json_extract(payload, '$.event_time')) / 1000, MAX(json_extract(payload, '$.event_time')) / 1000
  FROM callbacks WHERE json_extract(payload, '$.event') = 'publish' GROUP BY 1, 2;
-- A stream's events by age (the session a recovered recording belongs to).
CREATE INDEX callbacks_by_stream ON callbacks (stream_key, id);
)sql"},
      {3, R"sql(
CREATE TABLE usage (                      -- usage for billing (api::UsageBook writes it)
  app                 TEXT NOT NULL,      -- '' in a row for the whole server
  stream              TEXT NOT NULL,      -- '' in a row for the whole app
  start               INTEGER NOT NULL,   -- Unix seconds, the step's first second
  seconds             INTEGER NOT NULL CHECK (seconds IN (60, 3600)),  -- minutes roll up to hours
  bytes_in            INTEGER NOT NULL DEFAULT 0,
  bytes_out_rtmp      INTEGER NOT NULL DEFAULT 0,
  bytes_out_flv       INTEGER NOT NULL DEFAULT 0,
  bytes_out_hls       INTEGER NOT NULL DEFAULT 0,
  bytes_out_vod       INTEGER NOT NULL DEFAULT 0,
  peak_kbps_out       INTEGER NOT NULL DEFAULT 0,
  player_seconds_rtmp REAL NOT NULL DEFAULT 0,
  player_seconds_flv  REAL NOT NULL DEFAULT 0,
  player_seconds_hls  REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (app, stream, start, seconds)
) WITHOUT ROWID;
CREATE INDEX usage_by_age ON usage (seconds, start);
)sql"},
      {4, R"sql(
-- Recordings may be HLS (a folder with a VOD playlist): the format check is widened by rebuilding
-- the table (SQLite cannot alter a CHECK), rows and ids kept.
CREATE TABLE recordings_v4 (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  app        TEXT NOT NULL,
  stream     TEXT NOT NULL,
  file_path  TEXT NOT NULL UNIQUE,        -- absolute; an HLS recording's playlist
  file_name  TEXT NOT NULL,               -- HLS: FOLDER/index.m3u8
  format     TEXT NOT NULL CHECK (format IN ('flv', 'mp4', 'hls')),
  file_size  INTEGER NOT NULL,            -- HLS: the playlist and its segments
  start_time INTEGER NOT NULL,            -- Unix seconds
  end_time   INTEGER NOT NULL,
  duration   REAL NOT NULL,               -- seconds
  recovered  INTEGER NOT NULL DEFAULT 0,  -- 1 when rebuilt from a .part after a crash
  created_at INTEGER NOT NULL
);
INSERT INTO recordings_v4 SELECT id, app, stream, file_path, file_name, format, file_size, start_time, end_time,
                                 duration, recovered, created_at FROM recordings;
DROP TABLE recordings;
ALTER TABLE recordings_v4 RENAME TO recordings;
CREATE INDEX recordings_by_stream ON recordings (app, stream, start_time);
)sql"},
  };
  return list;
}

}  // namespace liveorigin::store
