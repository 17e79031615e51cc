#pragma once

// Checking that the index and the files agree, and repairing the index when they do not
// (after outside damage: a blob deleted or edited by hand, a disk error).
//
// Every suspicion is confirmed under the blob's lock before it is reported, so a blob
// that a running process is writing or GC is removing is never mistaken for damage.
// Crash leftovers are not damage: stale temp files are swept, and a complete blob file
// whose writer died before indexing it is adopted (its bytes are hashed first).

#include <cache/cache.h>
#include <cache/progress.h>
#include <cache/sweep.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sifkit::cache {

enum class Problem {
  missing_file,    // a row whose file is gone
  size_mismatch,   // a file whose size differs from its row
  digest_mismatch, // a file whose bytes do not hash to its name
  corrupt_orphan,  // a file without a row whose bytes do not match its name
  stray_file,      // something in blobs/ that is not named like a digest
  index_damaged,   // SQLite's quick_check found a problem (not repairable here)
};

// The stable lower-case name of `problem` (e.g. "missing_file").
std::string_view to_string(Problem problem);

struct VerifyFinding {
  Problem problem = Problem::missing_file;
  std::string subject; // the digest, or the path of a stray file
  std::string detail;  // one line: what was expected and found
  bool repaired = false;
  std::vector<std::string> dropped; // references/conversions removed with a bad blob
};

struct VerifyReport {
  std::int64_t checked_blobs = 0;
  std::int64_t hashed_bytes = 0;
  std::int64_t adopted_files = 0; // complete blobs whose writer died before indexing
  SweepReport sweep;
  std::vector<VerifyFinding> findings;

  // True when there is no finding left unrepaired.
  bool clean() const;
};

enum class Hashing {
  full,      // re-hash every blob
  size_only, // check presence and size (fast; misses same-size edits)
};

enum class Repair { no, yes };

// Verifies `cache`; with `Repair::yes` also fixes the index: rows of missing or altered
// blobs are deleted (with the references and conversions that named them), altered and
// corrupt files removed. Fails only when verification itself cannot proceed (`io`,
// index errors); findings are in the report.
Result<VerifyReport> verify_cache(Cache& cache, Hashing hashing, Repair repair,
                                  const Progress& progress = {});

} // namespace sifkit::cache
