#include <cache/directory.h>
#include <cache/verify.h>

#include <cerrno>
#include <unordered_set>

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::cache {

std::string_view to_string(Problem problem) {
  switch (problem) {
  case Problem::missing_file:
    return "missing_file";
  case Problem::size_mismatch:
    return "size_mismatch";
  case Problem::digest_mismatch:
    return "digest_mismatch";
  case Problem::corrupt_orphan:
    return "corrupt_orphan";
  case Problem::stray_file:
    return "stray_file";
  case Problem::index_damaged:
    return "index_damaged";
  }
  return "index_damaged";
}

bool VerifyReport::clean() const {
  for (const VerifyFinding& finding : findings) {
    if (!finding.repaired) {
      return false;
    }
  }
  return true;
}

namespace {

std::optional<std::int64_t> file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return st.st_size;
}

// What is wrong with the file of `digest` given its row `row` (nullopt: nothing).
Result<std::optional<VerifyFinding>> check_blob(const Cache& cache, const BlobRecord& row,
                                                Hashing hashing, VerifyReport& report) {
  std::string path = cache.layout().blob_path(row.digest);
  auto size = file_size(path);
  if (!size) {
    return VerifyFinding{Problem::missing_file,
                         row.digest.text(),
                         "indexed, but " + path + " does not exist",
                         false,
                         {}};
  }
  if (*size != row.size) {
    return VerifyFinding{Problem::size_mismatch,
                         row.digest.text(),
                         fmt::format("indexed as {} bytes, the file has {}", row.size, *size),
                         false,
                         {}};
  }
  if (hashing == Hashing::full) {
    SIFKIT_TRY_ASSIGN(auto actual, digest_of_file(path, row.digest.algorithm()));
    report.hashed_bytes += *size;
    if (actual != row.digest) {
      return VerifyFinding{Problem::digest_mismatch,
                           row.digest.text(),
                           "the file's bytes hash to " + actual.text(),
                           false,
                           {}};
    }
  }
  return std::optional<VerifyFinding>();
}

// Deletes the row of `digest` (and, when `remove_file`, its file), noting in `finding`
// the references and conversions that went with it.
Result<void> drop_blob(Cache& cache, const Digest& digest, bool remove_file,
                       VerifyFinding& finding) {
  Index& index = cache.index();
  SIFKIT_TRY_ASSIGN(auto tx, index.begin(Durability::full));
  auto refs = index.refs_to(digest);
  auto conversions = refs ? index.conversions_naming(digest) : std::unexpected(refs.error());
  SIFKIT_TRY(conversions ? index.delete_blob(digest) : std::unexpected(conversions.error()));
  SIFKIT_TRY(tx.commit());
  for (const RefRecord& ref : *refs) {
    finding.dropped.push_back(
        ref.key.platform.empty() ? ref.key.name : ref.key.name + " [" + ref.key.platform + "]");
  }
  for (const ConversionRecord& conversion : *conversions) {
    finding.dropped.push_back("convert " + conversion.source.short_text() + " (" +
                              conversion.options_key + ")");
  }
  std::string path = cache.layout().blob_path(digest);
  if (remove_file && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail_errno("cannot remove " + path, errno);
  }
  finding.repaired = true;
  return {};
}

// Re-checks an indexed blob under its lock; reports and (when asked) repairs it.
Result<void> confirm_indexed(Cache& cache, const Digest& digest, Hashing hashing, Repair repair,
                             VerifyReport& report) {
  auto lock = BlobLock::acquire(cache.layout(), digest, cache.options().lock_timing,
                                cache.options().on_wait);
  SIFKIT_TRY_ASSIGN(auto row,
                    lock ? cache.index().find_blob(digest) : std::unexpected(lock.error()));
  if (!row) {
    return {}; // GC removed it meanwhile
  }
  VerifyReport scratch;
  auto finding = check_blob(cache, *row, hashing, scratch);
  if (!finding || !*finding) {
    return finding ? Result<void>() : std::unexpected(finding.error());
  }
  if (repair == Repair::yes) {
    bool remove_file = (*finding)->problem != Problem::missing_file;
    SIFKIT_TRY(drop_blob(cache, digest, remove_file, **finding));
  }
  report.findings.push_back(std::move(**finding));
  return {};
}

// A file in blobs/ without a row. A writer that died between rename and indexing leaves
// a complete, correct file: adopt it. Anything else under a digest name is damage.
Result<void> confirm_orphan(Cache& cache, const Digest& digest, Repair repair,
                            VerifyReport& report) {
  auto lock = BlobLock::acquire(cache.layout(), digest, cache.options().lock_timing,
                                cache.options().on_wait);
  SIFKIT_TRY_ASSIGN(auto row,
                    lock ? cache.index().find_blob(digest) : std::unexpected(lock.error()));
  if (row) {
    return {}; // its writer indexed it meanwhile
  }
  std::string path = cache.layout().blob_path(digest);
  auto size = file_size(path);
  auto actual = digest_of_file(path, digest.algorithm());
  if (!actual || !size) {
    return !actual && actual.error().kind() != ErrorKind::not_found
               ? std::unexpected(actual.error())
               : Result<void>(); // GC removed it meanwhile
  }
  report.hashed_bytes += *size;
  if (*actual == digest) {
    std::int64_t now = cache.now();
    auto tx = cache.index().begin();
    auto adopted = tx ? cache.index().adopt_blob(BlobRecord{digest, *size, "", now, now, 0})
                      : std::unexpected(tx.error());
    auto committed = adopted ? tx->commit() : adopted;
    if (!committed) {
      return committed;
    }
    ++report.adopted_files;
    return {};
  }
  bool removed = repair == Repair::yes && ::unlink(path.c_str()) == 0;
  report.findings.push_back(
      VerifyFinding{Problem::corrupt_orphan,
                    digest.text(),
                    "unindexed file hashes to " + actual->text() + (removed ? "; removed" : ""),
                    removed,
                    {}});
  return {};
}

} // namespace

Result<VerifyReport> verify_cache(Cache& cache, Hashing hashing, Repair repair,
                                  const Progress& progress) {
  VerifyReport report;
  auto swept = sweep(cache.layout());
  SIFKIT_TRY_ASSIGN(auto rows, swept ? cache.index().all_blobs() : std::unexpected(swept.error()));
  report.sweep = *swept;

  std::vector<Digest> suspects;
  std::unordered_set<std::string> indexed;
  auto total = static_cast<std::int64_t>(rows.size());
  for (const BlobRecord& row : rows) {
    indexed.insert(row.digest.hex());
    SIFKIT_TRY_ASSIGN(auto finding, check_blob(cache, row, hashing, report));
    if (finding) {
      suspects.push_back(row.digest);
    }
    ++report.checked_blobs;
    if (progress && (report.checked_blobs % 1024 == 0 || report.checked_blobs == total)) {
      progress(hashing == Hashing::full ? "hashing" : "checking", report.checked_blobs, total);
    }
  }
  for (const Digest& digest : suspects) {
    SIFKIT_TRY(confirm_indexed(cache, digest, hashing, repair, report));
  }

  std::string dir = cache.layout().blob_directory(DigestAlgorithm::sha256);
  SIFKIT_TRY_ASSIGN(auto names, list_directory(dir));
  for (const std::string& name : names) {
    auto digest = Digest::from_hex(DigestAlgorithm::sha256, name);
    if (!digest) {
      std::string path = dir + "/" + name;
      bool removed = repair == Repair::yes && ::unlink(path.c_str()) == 0;
      report.findings.push_back(
          VerifyFinding{Problem::stray_file,
                        path,
                        "not named like a sha256 digest" + std::string(removed ? "; removed" : ""),
                        removed,
                        {}});
    } else if (!indexed.count(name)) {
      SIFKIT_TRY(confirm_orphan(cache, *digest, repair, report));
    }
  }

  SIFKIT_TRY_ASSIGN(auto problems, cache.index().quick_check());
  for (const std::string& problem : problems) {
    report.findings.push_back(
        VerifyFinding{Problem::index_damaged, cache.layout().index_path(), problem, false, {}});
  }
  return report;
}

} // namespace sifkit::cache
