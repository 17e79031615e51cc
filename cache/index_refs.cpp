#include <cache/index.h>

namespace sifkit::cache {

namespace {

constexpr const char* k_ref_columns =
    "SELECT name, platform, manifest_digest, fetched_at FROM refs";
constexpr const char* k_conversion_columns =
    "SELECT source_digest, options_key, result_digest, created_at FROM conversions";

Result<RefRecord> ref_row(const Query& q) {
  SIFKIT_TRY_ASSIGN(auto manifest, digest_column(q, 2));
  return RefRecord{{q.text(0), q.text(1)}, manifest, q.int64(3)};
}

Result<ConversionRecord> conversion_row(const Query& q) {
  auto source = digest_column(q, 0);
  SIFKIT_TRY_ASSIGN(auto result, source ? digest_column(q, 2) : std::unexpected(source.error()));
  return ConversionRecord{*source, q.text(1), result, q.int64(3)};
}

} // namespace

// ---- references ----

Result<void> Index::put_ref(const RefRecord& ref) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare(
          "INSERT INTO refs (name, platform, manifest_digest, fetched_at) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (name, platform) DO UPDATE SET manifest_digest = excluded.manifest_digest, "
          "fetched_at = excluded.fetched_at"));
  return query.bind(1, ref.key.name)
      .bind(2, ref.key.platform)
      .bind(3, ref.manifest.text())
      .bind(4, ref.fetched_at)
      .run();
}

Result<std::optional<RefRecord>> Index::find_ref(const RefKey& key) {
  SIFKIT_TRY_ASSIGN(
      auto query, m_db.prepare(std::string(k_ref_columns) + " WHERE name = ?1 AND platform = ?2"));
  SIFKIT_TRY_ASSIGN(
      auto rows, collect_rows<RefRecord>(query.bind(1, key.name).bind(2, key.platform), ref_row));
  return rows.empty() ? std::nullopt : std::optional<RefRecord>(std::move(rows.front()));
}

Result<std::vector<RefRecord>> Index::all_refs() {
  SIFKIT_TRY_ASSIGN(auto query,
                    m_db.prepare(std::string(k_ref_columns) + " ORDER BY name, platform"));
  return collect_rows<RefRecord>(query, ref_row);
}

Result<std::vector<RefRecord>> Index::refs_to(const Digest& manifest) {
  SIFKIT_TRY_ASSIGN(auto query,
                    m_db.prepare(std::string(k_ref_columns) + " WHERE manifest_digest = ?1"));
  return collect_rows<RefRecord>(query.bind(1, manifest.text()), ref_row);
}

Result<std::int64_t> Index::delete_refs(const std::string& name,
                                        const std::optional<std::string>& platform) {
  SIFKIT_TRY_ASSIGN(auto query,
                    m_db.prepare(platform ? "DELETE FROM refs WHERE name = ?1 AND platform = ?2"
                                          : "DELETE FROM refs WHERE name = ?1"));
  query.bind(1, name);
  if (platform) {
    query.bind(2, *platform);
  }
  SIFKIT_TRY(query.run());
  return m_db.changes();
}

Result<bool> Index::delete_ref_if_unleased(const RefRecord& ref, std::int64_t now) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare("DELETE FROM refs WHERE name = ?1 AND platform = ?2 AND manifest_digest = ?3 "
                   "AND NOT EXISTS (SELECT 1 FROM leases WHERE digest = ?3 AND expires_at > ?4)"));
  SIFKIT_TRY(query.bind(1, ref.key.name)
                 .bind(2, ref.key.platform)
                 .bind(3, ref.manifest.text())
                 .bind(4, now)
                 .run());
  return m_db.changes() > 0;
}

// ---- conversions ----

Result<void> Index::put_conversion(const ConversionRecord& conversion) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare(
          "INSERT INTO conversions (source_digest, options_key, result_digest, created_at) "
          "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source_digest, options_key) DO UPDATE SET "
          "result_digest = excluded.result_digest, created_at = excluded.created_at"));
  return query.bind(1, conversion.source.text())
      .bind(2, conversion.options_key)
      .bind(3, conversion.result.text())
      .bind(4, conversion.created_at)
      .run();
}

Result<std::optional<ConversionRecord>> Index::find_conversion(const Digest& source,
                                                               const std::string& options_key) {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare(std::string(k_conversion_columns) +
                                             " WHERE source_digest = ?1 AND options_key = ?2"));
  SIFKIT_TRY_ASSIGN(
      auto rows, collect_rows<ConversionRecord>(query.bind(1, source.text()).bind(2, options_key),
                                                conversion_row));
  return rows.empty() ? std::nullopt : std::optional<ConversionRecord>(std::move(rows.front()));
}

Result<std::vector<ConversionRecord>> Index::all_conversions() {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare(std::string(k_conversion_columns) +
                                             " ORDER BY source_digest, options_key"));
  return collect_rows<ConversionRecord>(query, conversion_row);
}

Result<std::vector<ConversionRecord>> Index::conversions_naming(const Digest& digest) {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare(std::string(k_conversion_columns) +
                                             " WHERE source_digest = ?1 OR result_digest = ?1"));
  return collect_rows<ConversionRecord>(query.bind(1, digest.text()), conversion_row);
}

Result<bool> Index::delete_conversion_if_unleased(const ConversionRecord& conversion,
                                                  std::int64_t now) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare("DELETE FROM conversions WHERE source_digest = ?1 AND options_key = ?2 "
                   "AND result_digest = ?3 "
                   "AND NOT EXISTS (SELECT 1 FROM leases WHERE digest = ?3 AND expires_at > ?4)"));
  SIFKIT_TRY(query.bind(1, conversion.source.text())
                 .bind(2, conversion.options_key)
                 .bind(3, conversion.result.text())
                 .bind(4, now)
                 .run());
  return m_db.changes() > 0;
}

// ---- edges ----

Result<void> Index::add_edges(const Digest& parent, std::span<const Digest> children) {
  for (const Digest& child : children) {
    SIFKIT_TRY_ASSIGN(
        auto query,
        m_db.prepare("INSERT INTO edges (parent, child) VALUES (?1, ?2) ON CONFLICT DO NOTHING"));
    SIFKIT_TRY(query.bind(1, parent.text()).bind(2, child.text()).run());
  }
  return {};
}

Result<std::vector<Edge>> Index::all_edges() {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare("SELECT parent, child FROM edges"));
  return collect_rows<Edge>(query, [](const Query& q) -> Result<Edge> {
    auto parent = digest_column(q, 0);
    SIFKIT_TRY_ASSIGN(auto child, parent ? digest_column(q, 1) : std::unexpected(parent.error()));
    return Edge{*parent, child};
  });
}

} // namespace sifkit::cache
