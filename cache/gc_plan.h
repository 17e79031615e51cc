#pragma once

// Deciding what garbage collection removes, as a pure function of an index snapshot, so
// the policy can be read and tested apart from locks and files.
//
// Policy (ARCHITECTURE.md, "Cache design"):
//  * A blob is kept when a root needs it (a reference's manifest and everything it needs
//    through edges; a conversion's source closure and result), or when a live lease
//    holds it (and then so is everything it needs). Every other blob is removed.
//  * --older-than D first drops the roots last used more than D ago.
//  * --keep-bytes N then drops roots, least recently used first, until the blobs that
//    remain fit in N bytes (shared blobs counted once; leased ones cannot go).
//  * A root whose manifest (or result) is leased is never dropped.

#include <cache/graph.h>
#include <cache/records.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace sifkit::cache {

enum class DropRoots {
  by_policy, // only as --older-than / --keep-bytes say
  all,       // every root not leased (sif-cache clean)
};

struct GcPolicy {
  std::optional<std::int64_t> keep_bytes;
  std::optional<std::chrono::seconds> older_than;
  DropRoots drop_roots = DropRoots::by_policy;
};

struct GcPlan {
  std::vector<Root> dropped_roots;
  std::vector<BlobRecord> removals; // parents before the blobs they need
  std::int64_t removal_bytes = 0;
  std::int64_t kept_blobs = 0;
  std::int64_t kept_bytes = 0;
};

// Plans a collection of `snapshot` at time `now`; leases in the snapshot that have not
// expired by `now` count as live (drop the dead holders' leases before taking it).
GcPlan plan_gc(const IndexSnapshot& snapshot, const GcPolicy& policy, std::int64_t now);

} // namespace sifkit::cache
