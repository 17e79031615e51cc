#include <cache/index.h>

namespace sifkit::cache {

Result<void> Index::lease(const Digest& digest, const std::string& holder,
                          std::int64_t expires_at) {
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare("INSERT INTO leases (digest, holder, expires_at) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT (digest, holder) DO UPDATE SET expires_at = "
                   "excluded.expires_at WHERE excluded.expires_at > expires_at + 60"));
  return query.bind(1, digest.text()).bind(2, holder).bind(3, expires_at).run();
}

Result<void> Index::lease_closure(const Digest& digest, const std::string& holder,
                                  std::int64_t expires_at) {
  // UNION (not UNION ALL) makes the walk terminate even on a cyclic edge set.
  SIFKIT_TRY_ASSIGN(
      auto query,
      m_db.prepare("WITH RECURSIVE closure (d) AS (SELECT ?1 UNION "
                   "SELECT edges.child FROM edges JOIN closure ON edges.parent = closure.d) "
                   "INSERT INTO leases (digest, holder, expires_at) SELECT d, ?2, ?3 FROM closure "
                   "WHERE true "
                   "ON CONFLICT (digest, holder) DO UPDATE SET expires_at = "
                   "excluded.expires_at WHERE excluded.expires_at > expires_at + 60"));
  return query.bind(1, digest.text()).bind(2, holder).bind(3, expires_at).run();
}

Result<std::vector<LeaseRecord>> Index::all_leases() {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare("SELECT digest, holder, expires_at FROM leases"));
  return collect_rows<LeaseRecord>(query, [](const Query& q) -> Result<LeaseRecord> {
    SIFKIT_TRY_ASSIGN(auto digest, digest_column(q, 0));
    return LeaseRecord{digest, q.text(1), q.int64(2)};
  });
}

Result<std::vector<std::string>> Index::lease_holders() {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare("SELECT DISTINCT holder FROM leases"));
  return collect_rows<std::string>(query,
                                   [](const Query& q) -> Result<std::string> { return q.text(0); });
}

Result<std::int64_t> Index::release_leases(const std::string& holder) {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare("DELETE FROM leases WHERE holder = ?1"));
  SIFKIT_TRY(query.bind(1, holder).run());
  return m_db.changes();
}

Result<std::int64_t> Index::delete_expired_leases(std::int64_t now) {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare("DELETE FROM leases WHERE expires_at <= ?1"));
  SIFKIT_TRY(query.bind(1, now).run());
  return m_db.changes();
}

} // namespace sifkit::cache
