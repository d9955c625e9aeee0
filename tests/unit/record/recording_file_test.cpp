#include "liveorigin/record/recording_file.hpp"

#include <gtest/gtest.h>

namespace liveorigin::record {
namespace {

TEST(RecordingFileTest, NamesAreUtcAndReadBack) {
  // 2025-03-04 05:06:07 UTC
  const std::int64_t t = 1741064767;
  EXPECT_EQ(recording_file_name("cam1", t, Format::mp4), "cam1_20250304-050607.mp4");
  EXPECT_EQ(recording_file_name("cam1", t, Format::flv, 2), "cam1_20250304-050607-2.flv");
  EXPECT_EQ(parse_start_time("cam1", "cam1_20250304-050607.mp4"), t);
  EXPECT_EQ(parse_start_time("cam1", "cam1_20250304-050607-2.flv"), t);
  EXPECT_EQ(parse_start_time("cam1", "cam2_20250304-050607.mp4"), std::nullopt);
  EXPECT_EQ(parse_start_time("cam1", "cam1_2025030x-050607.mp4"), std::nullopt);
  EXPECT_EQ(parse_start_time("cam1", "cam1_.mp4"), std::nullopt);
}

TEST(RecordingFileTest, OnlyLandedMediaNamesAreServable) {
  EXPECT_TRUE(is_recording_file_name("cam1_20250304-050607.mp4"));
  EXPECT_TRUE(is_recording_file_name("a.flv"));
  EXPECT_FALSE(is_recording_file_name("cam1_20250304-050607.mp4.part"));
  EXPECT_FALSE(is_recording_file_name("cam1.mp4.landing"));
  EXPECT_FALSE(is_recording_file_name(".."));
  EXPECT_FALSE(is_recording_file_name("%2e%2e.mp4"));
  EXPECT_FALSE(is_recording_file_name("a/b.mp4"));
  EXPECT_FALSE(is_recording_file_name("liveorigin.db"));
  EXPECT_FALSE(is_recording_file_name(".mp4"));
}

TEST(RecordingFileTest, TheUrlWinsOverTheConfig) {
  using Q = std::map<std::string, std::string>;
  EXPECT_EQ(resolve_record_settings(false, "mp4", 0, {}), std::nullopt);
  EXPECT_EQ(resolve_record_settings(true, "mp4", 60, {}), (RecordSettings{Format::mp4, 60}));
  EXPECT_EQ(resolve_record_settings(false, "mp4", 60, Q{{"record", "flv"}}), (RecordSettings{Format::flv, 60}));
  EXPECT_EQ(resolve_record_settings(true, "mp4", 60, Q{{"record", "flv"}, {"record_interval", "5.5"}}),
            (RecordSettings{Format::flv, 5.5}));
  EXPECT_EQ(resolve_record_settings(true, "flv", 0, Q{{"record_interval", "10"}}), (RecordSettings{Format::flv, 10}));
  // Malformed values are ignored; an interval alone does not turn recording on.
  EXPECT_EQ(resolve_record_settings(false, "mp4", 0, Q{{"record", "avi"}}), std::nullopt);
  EXPECT_EQ(resolve_record_settings(false, "mp4", 0, Q{{"record_interval", "10"}}), std::nullopt);
  EXPECT_EQ(resolve_record_settings(true, "mp4", 7, Q{{"record_interval", "-1"}}), (RecordSettings{Format::mp4, 7}));
  EXPECT_EQ(resolve_record_settings(true, "mp4", 7, Q{{"record_interval", "x"}}), (RecordSettings{Format::mp4, 7}));
}

}  // namespace
}  // namespace liveorigin::record
