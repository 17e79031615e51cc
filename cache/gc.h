#pragma once

// Garbage collection: removes the blobs no reference, conversion or live lease needs (see
// gc_plan.h for the policy), safely next to running processes:
//  * dead processes' leases are dropped first (holder.h decides who is dead);
//  * each blob is removed under its lock, taken without waiting: a blob being written
//    right now is skipped;
//  * its row is deleted in a transaction that re-checks that no lease, reference,
//    conversion or stored parent appeared since the plan, and the file is unlinked only
//    after that commit (row first, file second: the index never names a missing file).

#include <cache/cache.h>
#include <cache/gc_plan.h>
#include <cache/progress.h>
#include <cache/sweep.h>

#include <cstdint>

namespace sifkit::cache {

enum class DryRun { no, yes };

struct GcReport {
  DryRun dry_run = DryRun::no;
  GcPlan plan;                    // what was (or, dry, would be) done
  std::int64_t dropped_roots = 0; // references and conversions removed
  std::int64_t removed_blobs = 0;
  std::int64_t removed_bytes = 0;
  std::int64_t skipped_in_use = 0; // planned removals another process claimed meanwhile
  std::int64_t orphan_files = 0;   // files in blobs/ without a row, removed
  std::int64_t orphan_bytes = 0;
  std::int64_t released_leases = 0; // of processes that have exited, or expired
  SweepReport sweep;
};

// Collects garbage in `cache` by `policy`. With `DryRun::yes` changes nothing and
// reports the plan. Fails with `io` or the index's errors; what was removed before a
// failure stays removed (each step is consistent on its own).
Result<GcReport> collect_garbage(Cache& cache, const GcPolicy& policy, DryRun dry_run,
                                 const Progress& progress = {});

// Deletes expired leases and those of processes that have exited; returns how many.
Result<std::int64_t> drop_dead_leases(Index& index, std::int64_t now);

} // namespace sifkit::cache
