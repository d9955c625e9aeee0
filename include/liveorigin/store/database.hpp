// Durable state in one SQLite file (DATA/liveorigin.db, WAL). One thread owns the connection and
// runs every query, so SQLite work never runs on a network thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>

struct sqlite3;
struct sqlite3_stmt;

namespace liveorigin::store {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A prepared statement; bind parameters are 1-based, columns 0-based.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind_null(int index);
  // Steps once: true when a row is available, false when done. Throws StoreError on failure.
  bool step();
  // Steps to completion (INSERT/UPDATE/DELETE).
  void run();
  void reset();

  std::int64_t column_int(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// The connection, as jobs on the store thread see it.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  void exec(std::string_view sql);  // one or more statements without results
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  std::int64_t last_insert_id() const;
  int changes() const;  // rows changed by the last statement

 private:
  sqlite3* db_;
};

class Database {
 public:
  // Opens (creating) the file, turns on WAL, applies pending migrations, starts the store thread.
  // Throws StoreError with the path and SQLite's message.
  // max_queued: jobs post() may leave waiting for the store thread (see post()).
  explicit Database(const std::string& path, std::size_t max_queued = kDefaultMaxQueued);
  // Runs every job already queued, then stops the thread and closes the file.
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  static constexpr std::size_t kDefaultMaxQueued = 10000;

  // Queues a fire-and-forget job for the store thread; jobs run in queue order. A job that throws
  // is logged. Network threads post here and must never wait, so the queue is bounded by dropping:
  // past max_queued waiting jobs the job is refused (false), counted in dropped() and logged as an
  // error. A stuck disk then costs lost history rows, not unbounded memory or a stalled shard.
  bool post(std::function<void(Connection&)> job);
  // Jobs post() refused so far.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // Runs a job on the store thread and waits for its result (start-up, the API's worker, tests;
  // never from a network thread). Exceptions reach the caller.
  template <typename F>
  auto call(F&& job) -> std::invoke_result_t<F, Connection&> {
    using R = std::invoke_result_t<F, Connection&>;
    auto task = std::make_shared<std::packaged_task<R(Connection&)>>(std::forward<F>(job));
    auto result = task->get_future();
    // Never dropped: the caller waits for it, which already bounds what it can queue.
    enqueue([task](Connection& c) { (*task)(c); });
    return result.get();
  }

  int schema_version() { return call([](Connection& c) { return read_version(c); }); }
  const std::string& path() const { return path_; }

 private:
  static int read_version(Connection& c);
  void migrate();
  void run();
  void enqueue(std::function<void(Connection&)> job);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void(Connection&)>> jobs_;
  const std::size_t max_queued_;
  std::atomic<std::uint64_t> dropped_{0};
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace liveorigin::store
