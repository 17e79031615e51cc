#include <cache/sqlite.h>

#include <thread>
#include <utility>

#include <sqlite3.h>

namespace sifkit::cache {

Error sqlite_error(sqlite3* db, int code, const std::string& what) {
  ErrorKind kind = ErrorKind::internal;
  switch (code & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
  case SQLITE_CONSTRAINT:
    kind = ErrorKind::conflict;
    break;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    kind = ErrorKind::corrupt_input;
    break;
  case SQLITE_FULL:
    kind = ErrorKind::capacity;
    break;
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN:
  case SQLITE_READONLY:
  case SQLITE_PERM:
    kind = ErrorKind::io;
    break;
  default:
    break;
  }
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  return Error(kind, what + ": " + detail);
}

// ---- Query ----

Query::~Query() {
  if (m_statement != nullptr) {
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
  }
}

Query::Query(Query&& other) noexcept
    : m_db(other.m_db), m_statement(std::exchange(other.m_statement, nullptr)) {}

Query& Query::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_statement, index, value);
  return *this;
}

Query& Query::bind(int index, std::string_view text) {
  sqlite3_bind_text(m_statement, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Result<bool> Query::step() {
  int rc = sqlite3_step(m_statement);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  std::string sql = sqlite3_sql(m_statement);
  sqlite3_reset(m_statement);
  return std::unexpected(sqlite_error(m_db, rc, "index query failed (" + sql.substr(0, 60) + ")"));
}

Result<void> Query::run() {
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto row, step());
    if (!row) {
      return {};
    }
  }
}

std::int64_t Query::int64(int column) const {
  return sqlite3_column_int64(m_statement, column);
}

std::string Query::text(int column) const {
  const auto* bytes = sqlite3_column_text(m_statement, column);
  int size = sqlite3_column_bytes(m_statement, column);
  return bytes == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(bytes), size);
}

// ---- Database ----

Result<Database> Database::open(const std::string& path, std::chrono::milliseconds busy_timeout) {
  Database db;
  db.m_path = path;
  int rc =
      sqlite3_open_v2(path.c_str(), &db.m_db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return std::unexpected(sqlite_error(db.m_db, rc, "cannot open index " + path));
  }
  sqlite3_extended_result_codes(db.m_db, 1);
  sqlite3_busy_timeout(db.m_db, static_cast<int>(busy_timeout.count()));
  // Switching to WAL needs a moment of exclusive access, which SQLite does not wait for
  // through the busy handler when several processes create the index at once; retry.
  auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  for (;;) {
    auto wal = db.exec("PRAGMA journal_mode=WAL");
    if (wal) {
      break;
    }
    if (wal.error().kind() != ErrorKind::conflict || std::chrono::steady_clock::now() > deadline) {
      return std::unexpected(std::move(wal.error()).with_context("opening index " + path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  SIFKIT_TRY(with_context(db.exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; "
                                  "PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456; "
                                  "PRAGMA journal_size_limit=8388608"),
                          "opening index " + path));
  // The write-ahead log stays between processes: creating it anew costs a sync of the
  // file and of the cache directory, and the checkpoint SQLite runs when the last
  // connection closes syncs the log and the index again, four syncs for a process that
  // wrote a few rows. Committed rows are as safe in the log as in the index; SQLite
  // checkpoints the log as it grows (every 1000 pages) and readers use it either way.
  int persist = 1;
  if (rc = sqlite3_file_control(db.m_db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
      rc != SQLITE_OK) {
    return std::unexpected(sqlite_error(db.m_db, rc, "opening index " + path));
  }
  if (rc = sqlite3_db_config(db.m_db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
      rc != SQLITE_OK) {
    return std::unexpected(sqlite_error(db.m_db, rc, "opening index " + path));
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)),
      m_statements(std::move(other.m_statements)) {
  other.m_statements.clear();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    m_db = std::exchange(other.m_db, nullptr);
    m_path = std::move(other.m_path);
    m_statements = std::move(other.m_statements);
    other.m_statements.clear();
  }
  return *this;
}

Database::~Database() {
  close();
}

void Database::close() {
  for (auto& [sql, statement] : m_statements) {
    sqlite3_finalize(statement);
  }
  m_statements.clear();
  if (m_db != nullptr) {
    sqlite3_close(m_db);
    m_db = nullptr;
  }
}

Result<void> Database::exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    sqlite3_free(message);
    return std::unexpected(
        sqlite_error(m_db, rc, "index statement failed (" + sql.substr(0, 60) + ")"));
  }
  return {};
}

Result<Query> Database::prepare(const std::string& sql) {
  auto found = m_statements.find(sql);
  if (found != m_statements.end()) {
    return Query(m_db, found->second);
  }
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v3(m_db, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) {
    return std::unexpected(sqlite_error(m_db, rc, "cannot prepare (" + sql.substr(0, 60) + ")"));
  }
  m_statements.emplace(sql, statement);
  return Query(m_db, statement);
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(m_db);
}

// ---- Transaction ----

Result<Transaction> Transaction::begin(Database& db, Durability durability) {
  if (durability == Durability::full) {
    SIFKIT_TRY(db.exec("PRAGMA synchronous=FULL"));
  }
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
    if (durability == Durability::full) {
      (void)db.exec("PRAGMA synchronous=NORMAL");
    }
    return std::unexpected(begun.error());
  }
  return Transaction(db, durability);
}

Transaction::Transaction(Transaction&& other) noexcept
    : m_db(other.m_db), m_durability(other.m_durability),
      m_done(std::exchange(other.m_done, true)) {}

Transaction::~Transaction() {
  if (!m_done) {
    (void)m_db->exec("ROLLBACK");
    if (m_durability == Durability::full) {
      (void)m_db->exec("PRAGMA synchronous=NORMAL");
    }
  }
}

Result<void> Transaction::commit() {
  auto committed = m_db->exec("COMMIT");
  if (!committed) {
    return committed; // the destructor rolls back
  }
  m_done = true;
  if (m_durability == Durability::full) {
    (void)m_db->exec("PRAGMA synchronous=NORMAL");
  }
  return {};
}

} // namespace sifkit::cache
