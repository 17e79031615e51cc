#include "cached_convert.h"

#include <cache/work_dir.h>

namespace sifkit::convert {

Result<oci::BlobStream> CacheBlobSource::open_blob(const Digest& digest) const {
  auto file = m_cache->open_blob(digest);
  auto size = file ? file->size() : std::unexpected(file.error());
  if (!size) {
    return std::unexpected(size.error());
  }
  // The source reads with pread through the descriptor, which the File must keep open
  // for as long as the stream lives.
  auto shared = std::make_shared<File>(std::move(*file));
  ByteSource range = source_from_fd_range(shared->fd(), 0, *size, "blob " + digest.text());
  ByteSource source = [shared, range = std::move(range)](std::span<std::byte> buf) {
    return range(buf);
  };
  return oci::BlobStream{std::move(source), *size};
}

std::string conversion_key(const ConvertOptions& options) {
  std::string key = options_key(options.squash);
  if (options.layers == LayerMode::keep_layers) {
    key += ";keep-layers";
  }
  return key;
}

Result<CachedConversion> convert_cached(cache::Cache& cache, const Digest& manifest,
                                        const ConvertOptions& options,
                                        const SquashProgressCallback& progress) {
  if (auto valid = validate(options.squash); !valid) {
    return std::unexpected(valid.error());
  }
  std::string key = conversion_key(options);
  auto found = cache.find_conversion(manifest, key);
  if (!found) {
    return std::unexpected(found.error());
  }
  if (*found) {
    return CachedConversion{(*found)->result, cache.blob_path((*found)->result), true, {}};
  }
  // The cache's tmp/ is on the blobs' file system, and its sweep removes a work
  // directory whose process died (with the converter's own temp files in it).
  auto work = cache::WorkDir::create(cache.layout(), "convert");
  if (!work) {
    return std::unexpected(work.error());
  }
  std::string output = work->file("image.sif");
  CacheBlobSource blobs(cache);
  auto converted = convert_image(blobs, manifest, output, options, progress);
  if (!converted) {
    return std::unexpected(converted.error());
  }
  auto stored = cache.put_file(output, std::string(k_media_oci_sif));
  if (!stored) {
    return std::unexpected(std::move(stored.error()).with_context("storing the OCI-SIF"));
  }
  const Digest& sif = stored->blob.digest;
  if (auto recorded = cache.record_conversion(manifest, key, sif); !recorded) {
    return std::unexpected(recorded.error());
  }
  return CachedConversion{sif, cache.blob_path(sif), false, std::move(*converted)};
}

} // namespace sifkit::convert
