#include "cached_convert.h"

#include <cache/work_dir.h>

namespace sifkit::convert {

Result<oci::BlobStream> CacheBlobSource::open_blob(const Digest& digest) const {
  SIFKIT_TRY_ASSIGN(auto file, m_cache->open_blob(digest));
  SIFKIT_TRY_ASSIGN(auto size, file.size());
  // The source reads with pread through the descriptor, which the File must keep open
  // for as long as the stream lives.
  auto shared = std::make_shared<File>(std::move(file));
  ByteSource range = source_from_fd_range(shared->fd(), 0, size, "blob " + digest.text());
  ByteSource source = [shared, range = std::move(range)](std::span<std::byte> buf) {
    return range(buf);
  };
  return oci::BlobStream{std::move(source), size};
}

Result<oci::BlobStream> ArrivingBlobSource::open_blob(const Digest& digest) const {
  SIFKIT_TRY_ASSIGN(auto followed, m_feed->follow(digest));
  if (followed) {
    if (auto* arriving = std::get_if<registry::ArrivingBlob>(&*followed)) {
      return oci::BlobStream{std::move(arriving->source), arriving->size};
    }
  }
  return CacheBlobSource(*m_cache).open_blob(digest);
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
  return convert_cached(cache, CacheBlobSource(cache), manifest, options, progress);
}

Result<CachedConversion> convert_cached(cache::Cache& cache, const oci::BlobSource& blobs,
                                        const Digest& manifest, const ConvertOptions& options,
                                        const SquashProgressCallback& progress) {
  SIFKIT_TRY(validate(options.squash));
  std::string key = conversion_key(options);
  SIFKIT_TRY_ASSIGN(auto found, cache.find_conversion(manifest, key));
  if (found) {
    return CachedConversion{found->result, cache.blob_path(found->result), true, {}};
  }
  // The cache's tmp/ is on the blobs' file system, and its sweep removes a work
  // directory whose process died (with the converter's own temp files in it).
  SIFKIT_TRY_ASSIGN(auto work, cache::WorkDir::create(cache.layout(), "convert"));
  std::string output = work.file("image.sif");
  SIFKIT_TRY_ASSIGN(auto converted, convert_image(blobs, manifest, output, options, progress));
  SIFKIT_TRY_ASSIGN(auto stored, with_context(cache.put_file(output, std::string(k_media_oci_sif),
                                                             cache::FileHandoff::move),
                                              "storing the OCI-SIF"));
  const Digest& sif = stored.blob.digest;
  SIFKIT_TRY(cache.record_conversion(manifest, key, sif));
  return CachedConversion{sif, cache.blob_path(sif), false, std::move(converted)};
}

} // namespace sifkit::convert
