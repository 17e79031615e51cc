#include <cache/schema.h>

#include <array>
#include <string>

namespace sifkit::cache {

namespace {

// Version 1. Digests are stored as text (`sha256:<hex>`). Foreign keys cascade, so
// dropping a blob row drops the references, conversions and edges that name it: the
// index can never point at a blob it does not hold. `edges.child` is deliberately not a
// foreign key: a manifest may be stored before the layers it needs.
constexpr const char* k_schema_v1 = R"sql(
CREATE TABLE blobs (
  digest       TEXT PRIMARY KEY NOT NULL,
  size         INTEGER NOT NULL CHECK (size >= 0),
  media_type   TEXT NOT NULL DEFAULT '',
  added_at     INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  writes       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX blobs_by_last_use ON blobs (last_used_at);

CREATE TABLE refs (
  name            TEXT NOT NULL,
  platform        TEXT NOT NULL DEFAULT '',
  manifest_digest TEXT NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  fetched_at      INTEGER NOT NULL,
  PRIMARY KEY (name, platform)
) WITHOUT ROWID;
CREATE INDEX refs_by_manifest ON refs (manifest_digest);

CREATE TABLE conversions (
  source_digest TEXT NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  options_key   TEXT NOT NULL,
  result_digest TEXT NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (source_digest, options_key)
) WITHOUT ROWID;
CREATE INDEX conversions_by_result ON conversions (result_digest);

CREATE TABLE edges (
  parent TEXT NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
  child  TEXT NOT NULL,
  PRIMARY KEY (parent, child)
) WITHOUT ROWID;
CREATE INDEX edges_by_child ON edges (child);

CREATE TABLE leases (
  digest     TEXT NOT NULL,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (digest, holder)
) WITHOUT ROWID;
CREATE INDEX leases_by_holder ON leases (holder);
)sql";

constexpr std::array k_migrations{
    Migration{1, "create blobs, refs, conversions, edges and leases", k_schema_v1},
};

} // namespace

std::span<const Migration> schema_migrations() {
  return k_migrations;
}

int current_schema_version() {
  return k_migrations.back().to_version;
}

Result<int> schema_version(Database& db) {
  SIFKIT_TRY_ASSIGN(auto query, db.prepare("PRAGMA user_version"));
  SIFKIT_TRY(query.step());
  return static_cast<int>(query.int64(0));
}

Result<void> migrate(Database& db, std::span<const Migration> migrations) {
  int target = migrations.empty() ? 0 : migrations.back().to_version;
  SIFKIT_TRY_ASSIGN(auto seen, schema_version(db));
  if (seen == target) {
    return {}; // the common case: no write lock taken
  }
  SIFKIT_TRY_ASSIGN(auto tx, Transaction::begin(db));
  // Read again: another process may have migrated meanwhile.
  SIFKIT_TRY_ASSIGN(auto version, schema_version(db));
  if (version > target) {
    return fail(ErrorKind::unsupported,
                "index " + db.path() + " has schema version " + std::to_string(version) +
                    ", newer than this sifkit understands (" + std::to_string(target) + ")");
  }
  for (const Migration& step : migrations) {
    if (step.to_version <= version) {
      continue;
    }
    SIFKIT_TRY(with_context(db.exec(step.sql), "migrating index " + db.path() + " to version " +
                                                   std::to_string(step.to_version) + " (" +
                                                   step.description + ")"));
    SIFKIT_TRY(db.exec("PRAGMA user_version=" + std::to_string(step.to_version)));
  }
  return tx.commit();
}

} // namespace sifkit::cache
