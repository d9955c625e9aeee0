#include "liveorigin/store/database.hpp"

#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include "schema.hpp"

namespace liveorigin::store {

namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}
}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    fail(db, "prepare '" + std::string(sql.substr(0, 60)) + "'");
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    fail(db_, "bind");
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }
double Statement::column_double(int index) const { return sqlite3_column_double(stmt_, index); }
bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

std::string Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))) : std::string();
}

void Connection::exec(std::string_view sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError("exec: " + message);
  }
}

std::int64_t Connection::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Connection::changes() const { return sqlite3_changes(db_); }

Database::Database(const std::string& path, std::size_t max_queued) : path_(path), max_queued_(max_queued) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StoreError(path + ": cannot open: " + message);
  }
  try {
    Connection c(db_);
    c.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    sqlite3_busy_timeout(db_, 5000);
    migrate();
  } catch (const StoreError& e) {
    sqlite3_close(db_);
    throw StoreError(path + ": " + e.what());
  }
  thread_ = std::thread([this] { run(); });
}

Database::~Database() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close(db_);
}

bool Database::post(std::function<void(Connection&)> job) {
  {
    std::lock_guard lock(mutex_);
    if (jobs_.size() >= max_queued_) {
      const auto dropped = dropped_.fetch_add(1, std::memory_order_relaxed) + 1;
      // One line per burst start and then one per thousand, so a stuck store cannot flood the log.
      if (dropped == 1 || dropped % 1000 == 0) {
        spdlog::error("store {}: {} jobs waiting (the store is behind), job dropped; {} dropped so far",
                      path_, jobs_.size(), dropped);
      }
      return false;
    }
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void Database::enqueue(std::function<void(Connection&)> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Database::run() {
  Connection connection(db_);
  for (;;) {
    std::function<void(Connection&)> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every queued job has run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job(connection);
    } catch (const std::exception& e) {
      spdlog::error("store {}: {}", path_, e.what());
    }
  }
}

int Database::read_version(Connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  st.step();
  return static_cast<int>(st.column_int(0));
}

// Each migration runs once, in its own transaction, and bumps PRAGMA user_version.
void Database::migrate() {
  Connection c(db_);
  const int current = read_version(c);
  for (const auto& m : migrations()) {
    if (m.version <= current) continue;
    c.exec("BEGIN");
    try {
      c.exec(m.sql);
      c.exec("PRAGMA user_version = " + std::to_string(m.version));
      c.exec("COMMIT");
    } catch (...) {
      c.exec("ROLLBACK");
      throw;
    }
    spdlog::info("store {}: schema migrated to version {}", path_, m.version);
  }
}

}  // namespace liveorigin::store
