#include <cache/index.h>
#include <cache/schema.h>
#include <cache/sqlite.h>

#include <filesystem>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;

namespace {

Database open_db(const std::string& path) {
  auto db = Database::open(path, std::chrono::seconds(5));
  REQUIRE(db.has_value());
  return std::move(*db);
}

bool has_table(Database& db, const std::string& name) {
  auto query = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
  REQUIRE(query.has_value());
  REQUIRE(query->bind(1, name).step() == true);
  return query->int64(0) == 1;
}

} // namespace

TEST_CASE("a new index is created at the current schema version in WAL mode", "[cache]") {
  test::TempDir dir;
  auto index = Index::open(dir.file("index.db"));
  REQUIRE(index.has_value());
  CHECK(schema_version(index->database()) == current_schema_version());
  auto mode = index->database().prepare("PRAGMA journal_mode");
  REQUIRE(mode.has_value());
  REQUIRE(mode->step() == true);
  CHECK(mode->text(0) == "wal");
  for (const char* table : {"blobs", "refs", "conversions", "edges", "leases"}) {
    CHECK(has_table(index->database(), table));
  }
}

TEST_CASE("the index keeps its write-ahead log when the last connection closes, and the rows "
          "in it reach the next process",
          "[cache]") {
  test::TempDir dir;
  std::string path = dir.file("index.db");
  {
    Database db = open_db(path);
    REQUIRE(db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)").has_value());
  }
  // A log deleted at close has to be created (and its directory synced) by the next writer.
  CHECK(std::filesystem::exists(path + "-wal"));
  Database again = open_db(path);
  auto query = again.prepare("SELECT x FROM t");
  REQUIRE(query.has_value());
  REQUIRE(query->step() == true);
  CHECK(query->int64(0) == 7);
}

TEST_CASE("migrations run in order and only those the database lacks", "[cache]") {
  test::TempDir dir;
  const Migration steps[] = {
      {1, "first", "CREATE TABLE a (x INTEGER)"},
      {2, "second", "CREATE TABLE b (x INTEGER)"},
  };
  Database db = open_db(dir.file("index.db"));
  REQUIRE(migrate(db, std::span(steps).first(1)).has_value());
  CHECK(schema_version(db) == 1);
  REQUIRE(db.exec("INSERT INTO a VALUES (42)").has_value());
  REQUIRE(migrate(db, steps).has_value()); // runs only step 2: step 1 would fail now
  CHECK(schema_version(db) == 2);
  CHECK(has_table(db, "b"));
  REQUIRE(migrate(db, steps).has_value()); // nothing left to do
}

TEST_CASE("a failing migration leaves the database at its old version", "[cache]") {
  test::TempDir dir;
  const Migration steps[] = {
      {1, "first", "CREATE TABLE a (x INTEGER)"},
      {2, "broken", "CREATE TABLE c (x INTEGER); THIS IS NOT SQL"},
  };
  Database db = open_db(dir.file("index.db"));
  auto migrated = migrate(db, steps);
  REQUIRE_FALSE(migrated.has_value());
  CHECK_THAT(migrated.error().what(), Catch::Contains("version 2 (broken)"));
  CHECK(schema_version(db) == 0);
  CHECK_FALSE(has_table(db, "a"));
  CHECK_FALSE(has_table(db, "c"));
}

TEST_CASE("an index written by a newer sifkit is refused as unsupported", "[cache]") {
  test::TempDir dir;
  {
    Database db = open_db(dir.file("index.db"));
    REQUIRE(db.exec("PRAGMA user_version = 999").has_value());
  }
  auto index = Index::open(dir.file("index.db"));
  REQUIRE_FALSE(index.has_value());
  CHECK(index.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(index.error().what(), Catch::Contains("999"));
}

TEST_CASE("a file that is not a database is reported as corrupt input", "[cache]") {
  test::TempDir dir;
  REQUIRE(write_file_atomic(dir.file("index.db"), std::string(4096, 'x')).has_value());
  auto index = Index::open(dir.file("index.db"));
  REQUIRE_FALSE(index.has_value());
  CHECK(index.error().kind() == ErrorKind::corrupt_input);
}
