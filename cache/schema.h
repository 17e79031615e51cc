#pragma once

// The index's schema and how it evolves. The version lives in `PRAGMA user_version`;
// each migration moves the database from one version to the next, and opening runs the
// missing ones in order inside one write transaction, so concurrent first opens are safe.

#include <cache/sqlite.h>
#include <common/error.h>

#include <span>

namespace sifkit::cache {

struct Migration {
  int to_version;          // the user_version after this step (previous + 1)
  const char* description; // one line, for error messages
  const char* sql;         // statements run in the migration's transaction
};

// The migrations of this version of sifkit, oldest first; the last one's `to_version` is
// the schema version this code reads and writes.
std::span<const Migration> schema_migrations();

// The version `schema_migrations()` ends at.
int current_schema_version();

// Brings `db` to the last version of `migrations`. Fails with `unsupported` when the
// database is newer than that (a newer sifkit wrote it), and with the failing
// migration's error (rolled back, version unchanged) otherwise.
Result<void> migrate(Database& db, std::span<const Migration> migrations = schema_migrations());

// Reads `PRAGMA user_version`.
Result<int> schema_version(Database& db);

} // namespace sifkit::cache
