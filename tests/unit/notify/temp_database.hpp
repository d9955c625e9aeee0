// A fresh SQLite store in its own temp folder per test, removed afterwards.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "liveorigin/store/database.hpp"

namespace liveorigin::notify::testing {

class TempDatabase {
 public:
  TempDatabase() {
    const auto* test = ::testing::UnitTest::GetInstance();
    dir_ = std::filesystem::temp_directory_path() /
           ("liveorigin-notify-" + std::to_string(test->random_seed()) + "-" + test->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    reopen();
  }
  ~TempDatabase() {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    db_.reset();
    db_ = std::make_unique<store::Database>((dir_ / "liveorigin.db").string());
  }
  store::Database& operator*() { return *db_; }
  store::Database* operator->() { return db_.get(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
};

}  // namespace liveorigin::notify::testing
