#pragma once

// Fetching a SIF file, rather than an OCI image, into the shared cache: http(s)://URL
// (a plain download, resumed with Range after a dropped connection) and oras://REF (a
// SIF pushed to a registry as an OCI artifact, as SingularityCE pushes them). The file
// must open as a SIF before it is stored. Both end in the same cache records: the SIF
// blob, a `{}` config blob and a small OCI manifest naming them (the ORAS layout), which
// the reference points at, so GC keeps the SIF while the reference exists.
#include <cache/cache.h>
#include <common/digest.h>
#include <common/error.h>
#include <registry/reference.h>
#include <registry/registry_options.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::registry {

// The layer and config media types of a SIF stored as an OCI artifact (SingularityCE's
// `oras://`); the layer type is also what the cache records for any SIF blob.
inline constexpr std::string_view k_media_sif_layer = "application/vnd.sylabs.sif.layer.v1.sif";
inline constexpr std::string_view k_media_sif_config = "application/vnd.sylabs.sif.config.v1+json";

struct SifFetchOptions {
  // TLS (--ca-cert, --insecure), the first retry's back-off and, for oras://, credentials
  RegistryOptions registry;
  int max_attempts = 5; // per request: dropped connections, 5xx and 429 answers
};

struct SifPullResult {
  std::string reference; // canonical, as recorded in the cache
  Digest digest;         // the SIF blob
  std::int64_t size = 0;
  std::string path;    // the blob's file in the cache (read-only)
  Digest manifest;     // the manifest the reference record points at
  bool reused = false; // the blob was already stored (oras://: so nothing was downloaded)
  std::int64_t bytes_fetched = 0; // bytes received (more than `size` after a restart)
  std::chrono::milliseconds total_time{0};
};

// Bytes of the SIF received so far, and its size when known.
using SifProgress = std::function<void(std::int64_t done, std::optional<std::int64_t> total)>;

// True when `reference` names a SIF file (http(s)://, oras://) rather than an OCI image.
bool is_sif_reference(const ImageReference& reference);

// Fetches the SIF `reference` names into `cache` and points the reference at it. Fails
// with `usage` for a reference that names no SIF, `not_found` (HTTP 404, unknown tag),
// `corrupt_input` when the bytes are not a valid SIF or do not match their digest
// (nothing is stored then), `unsupported` for an oras:// artifact that is not a SIF,
// `network`, `auth`, `io`.
Result<SifPullResult> fetch_sif(const ImageReference& reference, cache::Cache& cache,
                                const SifFetchOptions& options, const SifProgress& progress = {});

} // namespace sifkit::registry
