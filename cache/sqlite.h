#pragma once

// A thin RAII layer over SQLite's C API: a connection with a statement cache, statements
// that reset themselves when the caller is done with them (so no read snapshot stays
// open by accident), and write transactions that roll back unless committed.
// One Database per process and thread; SQLite handles are never shared across fork().

#include <common/error.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace sifkit::cache {

// A prepared statement borrowed from the connection's cache. Bind with 1-based indexes;
// the destructor resets it and clears its bindings.
class Query {
public:
  Query(sqlite3* db, sqlite3_stmt* statement) : m_db(db), m_statement(statement) {}
  ~Query();
  Query(Query&& other) noexcept;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;

  Query& bind(int index, std::int64_t value);
  Query& bind(int index, std::string_view text);

  // Advances to the next row; true when one is ready, false when done. Fails with the
  // kind of the SQLite error (see `sqlite_error`).
  Result<bool> step();
  // Steps until done, for statements that return no rows.
  Result<void> run();

  std::int64_t int64(int column) const;
  std::string text(int column) const;

private:
  sqlite3* m_db;
  sqlite3_stmt* m_statement;
};

class Database {
public:
  // Opens (creating when absent) the database file `path` in WAL mode with foreign keys
  // on, `synchronous=NORMAL`, and `busy_timeout` for lock waits. Fails with `io`, or
  // `corrupt_input` when the file is not a SQLite database.
  static Result<Database> open(const std::string& path, std::chrono::milliseconds busy_timeout);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  const std::string& path() const { return m_path; }
  // Runs one or more statements that return nothing.
  Result<void> exec(const std::string& sql);
  // The cached prepared statement for `sql`, ready to bind.
  Result<Query> prepare(const std::string& sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t changes() const;

private:
  Database() = default;
  void close();

  sqlite3* m_db = nullptr;
  std::string m_path;
  std::unordered_map<std::string, sqlite3_stmt*> m_statements;
};

enum class Durability {
  normal, // WAL with synchronous=NORMAL: survives process crashes, may lose the last
          // commits on power loss
  full,   // synchronous=FULL for this transaction: survives power loss
};

// A write transaction (BEGIN IMMEDIATE: takes the write lock up front, waiting up to the
// busy timeout, so it never fails half way with SQLITE_BUSY). Rolls back on destruction
// unless `commit()` succeeded.
class Transaction {
public:
  static Result<Transaction> begin(Database& db, Durability durability = Durability::normal);
  Transaction(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Result<void> commit();

private:
  Transaction(Database& db, Durability durability) : m_db(&db), m_durability(durability) {}

  Database* m_db;
  Durability m_durability;
  bool m_done = false;
};

// Maps a SQLite result code to an Error: BUSY/LOCKED and CONSTRAINT are `conflict`,
// CORRUPT/NOTADB `corrupt_input`, FULL `capacity`, IOERR/CANTOPEN/READONLY/PERM `io`,
// anything else `internal`. `what` says what was being done.
Error sqlite_error(sqlite3* db, int code, const std::string& what);

} // namespace sifkit::cache
