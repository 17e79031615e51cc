#include <cache/index.h>

namespace sifkit::cache {

namespace {

constexpr const char* k_blob_columns =
    "SELECT digest, size, media_type, added_at, last_used_at, writes FROM blobs";

Result<BlobRecord> blob_row(const Query& q) {
  SIFKIT_TRY_ASSIGN(auto digest, digest_column(q, 0));
  return BlobRecord{digest, q.int64(1), q.text(2), q.int64(3), q.int64(4), q.int64(5)};
}

} // namespace

Result<std::optional<BlobRecord>> Index::find_blob(const Digest& digest) {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare(std::string(k_blob_columns) + " WHERE digest = ?1"));
  SIFKIT_TRY_ASSIGN(auto rows, collect_rows<BlobRecord>(query.bind(1, digest.text()), blob_row));
  return rows.empty() ? std::nullopt : std::optional<BlobRecord>(std::move(rows.front()));
}

Result<std::vector<BlobRecord>> Index::all_blobs() {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare(k_blob_columns));
  return collect_rows<BlobRecord>(query, blob_row);
}

Result<void> Index::record_write(const BlobRecord& blob) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare(
          "INSERT INTO blobs (digest, size, media_type, added_at, last_used_at, writes) "
          "VALUES (?1, ?2, ?3, ?4, ?4, 1) "
          "ON CONFLICT (digest) DO UPDATE SET size = excluded.size, "
          "media_type = CASE WHEN excluded.media_type <> '' THEN excluded.media_type "
          "ELSE media_type END, last_used_at = excluded.last_used_at, writes = writes + 1"));
  return query.bind(1, blob.digest.text())
      .bind(2, blob.size)
      .bind(3, blob.media_type)
      .bind(4, blob.last_used_at)
      .run();
}

Result<void> Index::adopt_blob(const BlobRecord& blob) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare("INSERT INTO blobs (digest, size, media_type, added_at, last_used_at, writes) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, 0) ON CONFLICT (digest) DO UPDATE SET size = "
                   "excluded.size"));
  return query.bind(1, blob.digest.text())
      .bind(2, blob.size)
      .bind(3, blob.media_type)
      .bind(4, blob.added_at)
      .bind(5, blob.last_used_at)
      .run();
}

Result<void> Index::touch_blob(const Digest& digest, std::int64_t now,
                               std::string_view media_type) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare(
          "UPDATE blobs SET last_used_at = max(last_used_at, ?2), "
          "media_type = CASE WHEN media_type = '' THEN ?3 ELSE media_type END "
          "WHERE digest = ?1 AND (last_used_at < ?2 - 60 OR (media_type = '' AND ?3 <> ''))"));
  return query.bind(1, digest.text()).bind(2, now).bind(3, media_type).run();
}

Result<bool> Index::delete_blob(const Digest& digest) {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare("DELETE FROM blobs WHERE digest = ?1"));
  SIFKIT_TRY(query.bind(1, digest.text()).run());
  return m_db.changes() > 0;
}

Result<bool> Index::delete_blob_if_unused(const Digest& digest, std::int64_t now) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare("DELETE FROM blobs WHERE digest = ?1 "
                   "AND NOT EXISTS (SELECT 1 FROM leases WHERE digest = ?1 AND expires_at > ?2) "
                   "AND NOT EXISTS (SELECT 1 FROM refs WHERE manifest_digest = ?1) "
                   "AND NOT EXISTS (SELECT 1 FROM conversions WHERE source_digest = ?1) "
                   "AND NOT EXISTS (SELECT 1 FROM conversions WHERE result_digest = ?1) "
                   "AND NOT EXISTS (SELECT 1 FROM edges WHERE child = ?1)"));
  SIFKIT_TRY(query.bind(1, digest.text()).bind(2, now).run());
  return m_db.changes() > 0;
}

Result<bool> Index::is_claimed(const Digest& digest, std::int64_t now) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare("SELECT EXISTS (SELECT 1 FROM leases WHERE digest = ?1 AND expires_at > ?2) "
                   "OR EXISTS (SELECT 1 FROM edges WHERE child = ?1)"));
  SIFKIT_TRY_ASSIGN(auto row, query.bind(1, digest.text()).bind(2, now).step());
  return row && query.int64(0) != 0;
}

} // namespace sifkit::cache
