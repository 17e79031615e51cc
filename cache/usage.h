#pragma once

// What the cache holds and who needs it: the numbers behind `sif-cache du` and `list`.

#include <cache/graph.h>
#include <cache/records.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace sifkit::cache {

enum class BlobKind { index, manifest, config, layer, oci_sif, other };

// The stable lower-case name of `kind` ("oci-sif", ...).
std::string_view to_string(BlobKind kind);

// The kind of a blob with `media_type` (OCI and Docker names; "other" when unknown).
BlobKind classify_media_type(std::string_view media_type);

// Bytes of one kind of blob. Shared: needed by two or more roots; unique: by exactly
// one; unreferenced: by none (GC would remove them unless leased).
struct KindUsage {
  BlobKind kind = BlobKind::other;
  std::int64_t blobs = 0;
  std::int64_t bytes = 0;
  std::int64_t shared_bytes = 0;
  std::int64_t unique_bytes = 0;
  std::int64_t unreferenced_bytes = 0;
};

// One reference or conversion: all it needs, and what removing only it would free.
struct RootUsage {
  Root root;
  std::int64_t blobs = 0;
  std::int64_t bytes = 0;
  std::int64_t unique_bytes = 0;
};

struct UsageReport {
  std::vector<KindUsage> kinds; // one per kind present, in BlobKind order
  KindUsage total;              // kind unused
  std::vector<RootUsage> roots; // references by name, then conversions
};

// Computes usage from `snapshot`. A blob that is some conversion's result counts as
// `oci-sif` whatever its media type says.
UsageReport compute_usage(const IndexSnapshot& snapshot);

} // namespace sifkit::cache
