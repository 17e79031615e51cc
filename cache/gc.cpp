#include <cache/directory.h>
#include <cache/gc.h>
#include <cache/holder.h>

#include <cerrno>
#include <unordered_set>

#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::cache {

namespace {

// Rows deleted per transaction: large enough to amortise the commit, small enough not
// to hold the write lock (and many blob locks) for long.
constexpr std::size_t k_batch = 256;

// Removes from `snapshot` the leases that `drop_dead_leases` would delete (dry runs).
void forget_dead_leases(IndexSnapshot& snapshot, std::int64_t now) {
  std::erase_if(snapshot.leases, [now](const LeaseRecord& lease) {
    return lease.expires_at <= now || holder_state(lease.holder) == HolderState::dead;
  });
}

Result<std::int64_t> drop_roots(Index& index, const std::vector<Root>& roots, std::int64_t now) {
  if (roots.empty()) {
    return 0;
  }
  SIFKIT_TRY_ASSIGN(auto tx, index.begin(Durability::full));
  std::int64_t dropped = 0;
  for (const Root& root : roots) {
    SIFKIT_TRY_ASSIGN(auto gone, root.kind == RootKind::reference
                                     ? index.delete_ref_if_unleased(*root.ref, now)
                                     : index.delete_conversion_if_unleased(*root.conversion, now));
    dropped += gone ? 1 : 0;
  }
  SIFKIT_TRY(tx.commit());
  return dropped;
}

Result<void> remove_batch(Cache& cache, std::span<const BlobRecord> batch, std::int64_t now,
                          GcReport& report) {
  std::vector<BlobLock> locks;
  std::vector<const BlobRecord*> locked;
  for (const BlobRecord& blob : batch) {
    SIFKIT_TRY_ASSIGN(auto lock, BlobLock::try_acquire(cache.layout(), blob.digest));
    if (!lock) {
      ++report.skipped_in_use; // being written (again) right now
      continue;
    }
    locks.push_back(std::move(*lock));
    locked.push_back(&blob);
  }
  SIFKIT_TRY_ASSIGN(auto tx, cache.index().begin(Durability::full));
  std::vector<const BlobRecord*> deleted;
  for (const BlobRecord* blob : locked) {
    SIFKIT_TRY_ASSIGN(auto gone, cache.index().delete_blob_if_unused(blob->digest, now));
    if (gone) {
      deleted.push_back(blob);
    } else {
      ++report.skipped_in_use;
    }
  }
  SIFKIT_TRY(tx.commit());
  for (const BlobRecord* blob : deleted) {
    std::string path = cache.layout().blob_path(blob->digest);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail_errno("cannot remove " + path, errno);
    }
    ++report.removed_blobs;
    report.removed_bytes += blob->size;
  }
  return {};
}

// Files in blobs/ without a row: writers that died between rename and indexing. Nothing
// can reference them, so they go, unless an edge or lease says someone wants them (then
// `verify` adopts them).
Result<void> remove_orphans(Cache& cache, const IndexSnapshot& snapshot, std::int64_t now,
                            DryRun dry_run, GcReport& report) {
  std::string dir = cache.layout().blob_directory(DigestAlgorithm::sha256);
  SIFKIT_TRY_ASSIGN(auto names, list_directory(dir));
  std::unordered_set<std::string> indexed;
  for (const BlobRecord& blob : snapshot.blobs) {
    indexed.insert(blob.digest.hex());
  }
  for (const std::string& name : names) {
    auto digest = Digest::from_hex(DigestAlgorithm::sha256, name);
    if (!digest || indexed.count(name)) {
      continue; // stray names are verify's business
    }
    SIFKIT_TRY_ASSIGN(auto lock, BlobLock::try_acquire(cache.layout(), *digest));
    if (!lock) {
      continue; // its writer is about to index it
    }
    auto row = cache.index().find_blob(*digest);
    SIFKIT_TRY_ASSIGN(auto claimed,
                      row ? cache.index().is_claimed(*digest, now) : std::unexpected(row.error()));
    if (*row || claimed) {
      continue;
    }
    std::string path = dir + "/" + name;
    struct stat st {};
    std::int64_t size = ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
    if (dry_run == DryRun::no && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail_errno("cannot remove " + path, errno);
    }
    ++report.orphan_files;
    report.orphan_bytes += size;
  }
  return {};
}

} // namespace

Result<std::int64_t> drop_dead_leases(Index& index, std::int64_t now) {
  SIFKIT_TRY_ASSIGN(auto holders, index.lease_holders());
  SIFKIT_TRY_ASSIGN(auto tx, index.begin());
  auto dropped = index.delete_expired_leases(now);
  for (const std::string& holder : holders) {
    if (dropped && holder_state(holder) == HolderState::dead) {
      auto released = index.release_leases(holder);
      dropped = released ? Result<std::int64_t>(*dropped + *released) : released;
    }
  }
  if (!dropped) {
    return dropped;
  }
  SIFKIT_TRY(tx.commit());
  return dropped;
}

Result<GcReport> collect_garbage(Cache& cache, const GcPolicy& policy, DryRun dry_run,
                                 const Progress& progress) {
  GcReport report;
  report.dry_run = dry_run;
  std::int64_t now = cache.now();
  if (dry_run == DryRun::no) {
    auto swept = sweep(cache.layout());
    SIFKIT_TRY_ASSIGN(auto released, swept ? drop_dead_leases(cache.index(), now)
                                           : std::unexpected(swept.error()));
    report.sweep = *swept;
    report.released_leases = released;
  }
  SIFKIT_TRY_ASSIGN(auto snapshot, cache.index().snapshot());
  forget_dead_leases(snapshot, now);
  report.plan = plan_gc(snapshot, policy, now);
  if (dry_run == DryRun::no) {
    SIFKIT_TRY_ASSIGN(auto dropped, drop_roots(cache.index(), report.plan.dropped_roots, now));
    report.dropped_roots = dropped;
    const auto& removals = report.plan.removals;
    for (std::size_t at = 0; at < removals.size(); at += k_batch) {
      auto batch = std::span(removals).subspan(at, std::min(k_batch, removals.size() - at));
      SIFKIT_TRY(remove_batch(cache, batch, now, report));
      if (progress) {
        progress("removing", static_cast<std::int64_t>(at + batch.size()),
                 static_cast<std::int64_t>(removals.size()));
      }
    }
  }
  SIFKIT_TRY(remove_orphans(cache, snapshot, now, dry_run, report));
  return report;
}

} // namespace sifkit::cache
