#include <cache/index.h>
#include <cache/schema.h>

namespace sifkit::cache {

Result<Index> Index::open(const std::string& path, std::chrono::milliseconds busy_timeout) {
  SIFKIT_TRY_ASSIGN(auto db, Database::open(path, busy_timeout));
  SIFKIT_TRY(migrate(db));
  return Index(std::move(db));
}

Result<Transaction> Index::begin(Durability durability) {
  return Transaction::begin(m_db, durability);
}

Result<Digest> digest_column(const Query& query, int column) {
  auto text = query.text(column);
  auto digest = Digest::parse(text);
  if (!digest) {
    return fail(ErrorKind::corrupt_input, "index holds a malformed digest \"" + text + "\"");
  }
  return digest;
}

namespace {

// A read transaction, so that the tables of a snapshot agree with each other.
class ReadTransaction {
public:
  explicit ReadTransaction(Database& db) : m_db(db) {}
  ~ReadTransaction() {
    if (m_open) {
      (void)m_db.exec("ROLLBACK");
    }
  }
  Result<void> begin() {
    auto begun = m_db.exec("BEGIN");
    m_open = begun.has_value();
    return begun;
  }

private:
  Database& m_db;
  bool m_open = false;
};

} // namespace

Result<IndexSnapshot> Index::snapshot() {
  ReadTransaction read(m_db);
  SIFKIT_TRY(read.begin());
  IndexSnapshot snapshot;
  auto blobs = all_blobs();
  auto refs = blobs ? all_refs() : std::unexpected(blobs.error());
  auto conversions = refs ? all_conversions() : std::unexpected(refs.error());
  auto edges = conversions ? all_edges() : std::unexpected(conversions.error());
  SIFKIT_TRY_ASSIGN(auto leases, edges ? all_leases() : std::unexpected(edges.error()));
  snapshot.blobs = std::move(*blobs);
  snapshot.refs = std::move(*refs);
  snapshot.conversions = std::move(*conversions);
  snapshot.edges = std::move(*edges);
  snapshot.leases = std::move(leases);
  return snapshot;
}

Result<std::vector<std::string>> Index::quick_check() {
  SIFKIT_TRY_ASSIGN(auto query, m_db.prepare("PRAGMA quick_check"));
  auto lines = collect_rows<std::string>(
      query, [](const Query& q) -> Result<std::string> { return q.text(0); });
  if (!lines) {
    return lines;
  }
  if (lines->size() == 1 && lines->front() == "ok") {
    lines->clear();
  }
  return lines;
}

} // namespace sifkit::cache
