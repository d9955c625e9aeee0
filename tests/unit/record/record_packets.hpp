// Packets (the hub tests' ones, plus AAC frames of any size) and a scratch folder for the
// recorder's tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "../hub/packets.hpp"
#include "liveorigin/media/packet.hpp"

namespace liveorigin::record::testing {

using hub::testing::audio_header;
using hub::testing::metadata;
using hub::testing::video;
using hub::testing::video_header;

// AAC frames of any size (one every 23.2 ms at 44.1 kHz).
inline media::PacketPtr audio(std::uint32_t ts, std::size_t size = 40) {
  Bytes body(size, 0x21);
  body[0] = 0xaf;
  body[1] = 1;
  return media::make_packet(media::MediaType::audio, ts, body);
}

// A fresh folder per test, removed afterwards.
class ScratchDir : public ::testing::Test {
 protected:
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("liveorigin-record-" + std::to_string(::getpid()) + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  static Bytes read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }
};

}  // namespace liveorigin::record::testing
