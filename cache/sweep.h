#pragma once

// Cleaning up after processes that died mid-write: their temp files in tmp/. A temp file
// is stale exactly when the lock of its blob is free, because writers create temp files
// only while holding that lock and remove or rename them before letting go; a work
// directory (work_dir.h) when its own lock is free, or when it has none and is older than
// k_sweep_min_age (its creator or remover was killed between two steps). (Locks need no
// cleaning: the kernel drops a dead process's locks.)

#include <cache/layout.h>
#include <common/error.h>

#include <cstdint>

namespace sifkit::cache {

struct SweepReport {
  std::int64_t temp_files = 0;    // stale temp files (and work directories) removed
  std::int64_t temp_bytes = 0;    // their size
  std::int64_t foreign_files = 0; // files in tmp/ with names we never make (left alone)
};

// Removes stale temp files under `layout`; leaves everything a live process is using.
// Cheap when nothing is stale (one directory read). Fails with `io`.
Result<SweepReport> sweep(const Layout& layout);

} // namespace sifkit::cache
