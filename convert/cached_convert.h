#pragma once

// Conversions through the shared cache: the source image's blobs come from the cache,
// the OCI-SIF goes into it, and a recorded conversion (source manifest + options key →
// OCI-SIF) makes the next request for the same conversion free.
#include <cache/cache.h>
#include <common/error.h>
#include <convert/oci_convert.h>
#include <registry/blob_feed.h>
#include <sif/oci_blob_source.h>

#include <optional>
#include <string>

namespace sifkit::convert {

// The media type the cache records for an OCI-SIF it holds (sif-cache counts these as
// OCI-SIF images).
inline constexpr std::string_view k_media_oci_sif = "application/vnd.sylabs.sif.layer.v1.sif";

// The cache's blobs as a BlobSource. Not thread-safe (the Cache is not); the cache must
// outlive it.
class CacheBlobSource : public oci::BlobSource {
public:
  explicit CacheBlobSource(cache::Cache& cache) : m_cache(&cache) {}
  // Opens the stored blob `digest` (leased to this process); `not_found` when absent.
  Result<oci::BlobStream> open_blob(const Digest& digest) const override;

private:
  cache::Cache* m_cache;
};

// The cache's blobs, and the blobs a pull is still fetching as they arrive
// (registry/blob_feed.h): a conversion that runs while the pull does. Not thread-safe;
// the cache and the feed must outlive it.
class ArrivingBlobSource : public oci::BlobSource {
public:
  ArrivingBlobSource(cache::Cache& cache, registry::BlobFeed& feed)
      : m_cache(&cache), m_feed(&feed) {}
  // The blob `digest` streamed while it arrives, else opened in the cache; the fetch's
  // error when it fails.
  Result<oci::BlobStream> open_blob(const Digest& digest) const override;

private:
  cache::Cache* m_cache;
  registry::BlobFeed* m_feed;
};

struct CachedConversion {
  Digest sif;                          // the OCI-SIF blob
  std::string path;                    // its file in the cache (read-only)
  bool reused = false;                 // found in the cache, nothing converted
  std::optional<ConvertResult> result; // the conversion's details when one ran
};

// The conversion key of `options`: options_key(options.squash), plus ";keep-layers".
std::string conversion_key(const ConvertOptions& options);

// The OCI-SIF of manifest `manifest` (stored in `cache` with its config and layers)
// converted with `options`: the recorded one when it is still stored, else converted
// now (in the cache's tmp/ directory), stored and recorded. Same failures as
// convert_image.
Result<CachedConversion> convert_cached(cache::Cache& cache, const Digest& manifest,
                                        const ConvertOptions& options,
                                        const SquashProgressCallback& progress = {});
// The same, reading the image from `blobs` (which hold what `cache` holds or will hold).
Result<CachedConversion> convert_cached(cache::Cache& cache, const oci::BlobSource& blobs,
                                        const Digest& manifest, const ConvertOptions& options,
                                        const SquashProgressCallback& progress = {});

} // namespace sifkit::convert
