#pragma once

// Pulling an image from any ImageSource into the shared cache: the root manifest or
// index, the platform's manifest, its config and layers (fetched in parallel up to the
// source's limit, each verified by the cache's writer), the edges that keep them
// together, and a reference naming the result. Blobs already stored are never fetched
// again, so re-pulling an unchanged image only reads its manifests.
#include <cache/cache.h>
#include <common/digest.h>
#include <common/error.h>
#include <registry/blob_feed.h>
#include <registry/image_source.h>
#include <registry/reference.h>
#include <sif/oci_types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sifkit::registry {

struct PullOptions {
  // The platform to select from an index; empty: the host's (oci/oci_select.h).
  std::optional<oci::Platform> platform;
  // The canonical reference (ImageReference::canonical) to record in the cache; empty:
  // record no reference.
  std::string reference_name;
  // Told the manifest and every blob as it arrives, for a reader that converts while the
  // pull runs (registry/blob_feed.h); may be null. The caller closes it.
  BlobFeed* feed = nullptr;
};

// One step of a pull, for progress display. Calls are serialised (never two at once),
// but may come from worker threads.
struct PullEvent {
  enum class Kind { resolved, blob_started, blob_progress, blob_done, blob_reused };
  Kind kind = Kind::resolved;
  Digest digest; // the blob (empty for `resolved`)
  std::string media_type;
  std::int64_t blob_done = 0; // bytes of this blob so far
  std::int64_t blob_size = 0;
  std::int64_t total_done = 0; // bytes of all config and layer blobs, fetched or reused
  std::int64_t total_size = 0;
  int blobs_done = 0;
  int blobs_total = 0;
};

using PullProgress = std::function<void(const PullEvent& event)>;

struct PulledBlob {
  Digest digest;
  std::int64_t size = 0;
  std::string media_type;
  bool reused = false; // already in the cache, not fetched
};

struct PullResult {
  Digest root_digest; // what the reference named (index or manifest)
  std::string root_media_type;
  std::vector<Digest> indexes; // the index chain from the root down, if any
  Digest manifest_digest;
  std::string manifest_media_type;
  std::int64_t manifest_size = 0;
  std::string platform; // selected from an index; empty for a single manifest
  PulledBlob config;
  std::vector<PulledBlob> layers;
  std::int64_t bytes_fetched = 0;            // config and layer bytes written to the cache
  std::int64_t bytes_reused = 0;             // config and layer bytes already there
  std::chrono::milliseconds resolve_time{0}; // root and manifests
  std::chrono::milliseconds fetch_time{0};   // config and layers
  std::chrono::milliseconds total_time{0};
};

// The options for pulling `reference`: its canonical name recorded in the cache, and
// `platform` ("os/arch[/variant]", empty: the host's) parsed; `usage` for a bad platform.
Result<PullOptions> pull_options_for(const ImageReference& reference,
                                     const std::optional<std::string>& platform);

// Pulls the image `source` names into `cache` (see the top of this file). The index is
// searched for `options.platform` (nested indexes too); `not_found` listing the
// platforms present when none matches. Source errors, `corrupt_input` for content that
// does not match its digest (nothing is stored under a wrong name), `io`. Worker threads
// each open their own Cache on `cache`'s directory.
Result<PullResult> pull_image(ImageSource& source, cache::Cache& cache, const PullOptions& options,
                              const PullProgress& progress = {});

// The image manifest an earlier pull recorded in `cache` for `options.reference_name`
// and `options.platform` (the host's when empty), or for the reference itself when it
// named a single manifest; nullopt when the cache has none (or lacks its blobs). Lets
// a tool work from the cache when the source cannot be reached.
Result<std::optional<Digest>> find_pulled_manifest(cache::Cache& cache, const PullOptions& options);

} // namespace sifkit::registry
