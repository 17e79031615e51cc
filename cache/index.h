#pragma once

// The SQLite index of the cache: typed reads and writes of its tables (see schema.cpp).
// Writes expect the caller to hold a `Transaction` from `begin()`, so that a check and the
// change it allows happen atomically. Not thread-safe; one Index per process (or thread).

#include <cache/records.h>
#include <cache/sqlite.h>
#include <common/error.h>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sifkit::cache {

class Index {
public:
  // Opens or creates the index at `path` and migrates it to the current schema.
  static Result<Index> open(const std::string& path,
                            std::chrono::milliseconds busy_timeout = std::chrono::seconds(30));

  // Starts a write transaction (waits for other writers up to the busy timeout).
  Result<Transaction> begin(Durability durability = Durability::normal);
  Database& database() { return m_db; }

  // ---- blobs ----
  Result<std::optional<BlobRecord>> find_blob(const Digest& digest);
  Result<std::vector<BlobRecord>> all_blobs();
  // Inserts or updates the row of a blob a writer has just committed; counts the write.
  Result<void> record_write(const BlobRecord& blob);
  // Records a blob file found in blobs/ and checked against its digest, whose writer did
  // not index it (writes stay as they were: 0 for a new row). The file's size wins.
  Result<void> adopt_blob(const BlobRecord& blob);
  // Sets the last use of `digest` to `now`, and its media type when it had none. A last
  // use less than a minute old is left alone: LRU needs no finer grain, and a lookup that
  // changes nothing writes nothing.
  Result<void> touch_blob(const Digest& digest, std::int64_t now, std::string_view media_type);
  // Deletes the row (cascading to refs, conversions and edges naming it). True if it was.
  Result<bool> delete_blob(const Digest& digest);
  // Deletes the row only if nothing still holds it: no lease live at `now`, no reference
  // or conversion naming it, no edge from a stored parent. True if deleted.
  Result<bool> delete_blob_if_unused(const Digest& digest, std::int64_t now);

  // True when a live lease (at `now`) or an edge from a stored parent names `digest`.
  Result<bool> is_claimed(const Digest& digest, std::int64_t now);

  // ---- references ----
  Result<void> put_ref(const RefRecord& ref);
  Result<std::optional<RefRecord>> find_ref(const RefKey& key);
  Result<std::vector<RefRecord>> all_refs();
  Result<std::vector<RefRecord>> refs_to(const Digest& manifest);
  // Deletes the references named `name` (only `platform`'s when given); returns how many.
  Result<std::int64_t> delete_refs(const std::string& name,
                                   const std::optional<std::string>& platform);
  // Deletes `ref` if it still points at the same manifest and no lease on it is live.
  Result<bool> delete_ref_if_unleased(const RefRecord& ref, std::int64_t now);

  // ---- conversions ----
  Result<void> put_conversion(const ConversionRecord& conversion);
  Result<std::optional<ConversionRecord>> find_conversion(const Digest& source,
                                                          const std::string& options_key);
  Result<std::vector<ConversionRecord>> all_conversions();
  Result<std::vector<ConversionRecord>> conversions_naming(const Digest& digest);
  // Deletes `conversion` if its result still is the same and no lease on it is live.
  Result<bool> delete_conversion_if_unleased(const ConversionRecord& conversion, std::int64_t now);

  // ---- edges ----
  // Records that `parent` (which must be stored) needs each of `children`.
  Result<void> add_edges(const Digest& parent, std::span<const Digest> children);
  Result<std::vector<Edge>> all_edges();

  // ---- leases ----
  // Leases `digest` to `holder` until `expires_at` (extending an existing lease, unless
  // by less than a minute: such a write would buy nothing).
  Result<void> lease(const Digest& digest, const std::string& holder, std::int64_t expires_at);
  // Leases `digest` and everything reachable from it through edges.
  Result<void> lease_closure(const Digest& digest, const std::string& holder,
                             std::int64_t expires_at);
  Result<std::vector<LeaseRecord>> all_leases();
  // The distinct holders of leases.
  Result<std::vector<std::string>> lease_holders();
  Result<std::int64_t> release_leases(const std::string& holder);
  Result<std::int64_t> delete_expired_leases(std::int64_t now);

  // ---- whole index ----
  // Reads every table in one read transaction.
  Result<IndexSnapshot> snapshot();
  // PRAGMA quick_check; returns its problems (empty when the database is sound).
  Result<std::vector<std::string>> quick_check();

private:
  explicit Index(Database db) : m_db(std::move(db)) {}

  Database m_db;
};

// Runs `query` (already bound) and converts each row with `convert`; stops at the first
// error, which includes conversion failures (a malformed digest in a row is
// `corrupt_input`: someone wrote the database by hand).
template <typename T, typename Convert>
Result<std::vector<T>> collect_rows(Query& query, Convert convert) {
  std::vector<T> rows;
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto row, query.step());
    if (!row) {
      return rows;
    }
    SIFKIT_TRY_ASSIGN(T value, convert(query));
    rows.push_back(std::move(value));
  }
}

// The digest in column `column` of the current row; `corrupt_input` when malformed.
Result<Digest> digest_column(const Query& query, int column);

} // namespace sifkit::cache
