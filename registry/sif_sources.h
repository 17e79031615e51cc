#pragma once

// The two SIF transports behind fetch_sif (sif_fetch.h) and what they share. Internal to
// registry/.
#include <registry/image_source.h>
#include <registry/sif_fetch.h>

#include <span>
#include <string>
#include <string_view>

namespace sifkit::registry {

// fetch_sif for an http(s):// reference: downloads into a work directory of the cache,
// checks the file is a SIF, then stores and records it.
Result<SifPullResult> fetch_http_sif(const ImageReference& reference, cache::Cache& cache,
                                     const SifFetchOptions& options, const SifProgress& progress);

// fetch_sif for an oras:// reference: resolves the artifact through the docker://
// client, checks it is a SIF artifact, and fetches its config and layer into the cache.
Result<SifPullResult> fetch_oras_sif(const ImageReference& reference, cache::Cache& cache,
                                     const SifFetchOptions& options, const SifProgress& progress);

// `corrupt_input` naming `what` unless the file `path` opens as a SIF (sif/image.h).
Result<void> check_sif_file(const std::string& path, std::string_view what);

// The manifest an http(s):// SIF is recorded under: the ORAS layout (config `{}` of
// k_media_sif_config, the SIF as the one layer), serialised deterministically.
FetchedManifest sif_manifest(const Digest& sif, std::int64_t size);

// The bytes of the config blob sif_manifest names.
inline constexpr std::string_view k_sif_config_bytes = "{}";

// Stores `manifest`, records that it needs `children` (already stored) and points the
// reference `name` at it. `io`, `not_found` when a child is missing.
Result<void> record_sif(cache::Cache& cache, const std::string& name,
                        const FetchedManifest& manifest, std::span<const Digest> children);

} // namespace sifkit::registry
