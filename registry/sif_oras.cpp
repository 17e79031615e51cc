// oras:// SIFs: the artifact's manifest comes through the docker:// client (same
// authentication, TLS options and retries), must be SingularityCE's SIF layout, and its
// config and SIF layer go into the cache through the verifying writers.
#include <common/text_escape.h>
#include <registry/docker_source.h>
#include <registry/sif_sources.h>
#include <sif/oci_parse.h>

namespace sifkit::registry {

namespace {

constexpr std::int64_t k_max_config_size = 1024 * 1024;

// Fetches `descriptor` into the cache unless it is stored already; true when it was.
Result<bool> fetch_into_cache(ImageSource& source, cache::Cache& cache,
                              const oci::Descriptor& descriptor, const SifProgress& progress) {
  SIFKIT_TRY_ASSIGN(
      auto slot,
      cache.begin_blob(descriptor.digest, cache::BlobInfo{descriptor.size, descriptor.media_type}));
  if (std::holds_alternative<cache::BlobRecord>(slot)) {
    return true;
  }
  auto& writer = std::get<cache::BlobWriter>(slot);
  BlobProgress on_bytes;
  if (progress) {
    on_bytes = [&](std::int64_t done) { progress(done, descriptor.size); };
  }
  SIFKIT_TRY(source.fetch_blob(descriptor, writer, on_bytes));
  SIFKIT_TRY(writer.commit());
  return false;
}

// The SIF layer of `manifest`, or `unsupported` saying why it is not a SIF artifact.
Result<oci::Descriptor> sif_layer(const oci::Manifest& manifest, const std::string& what) {
  if (manifest.config.media_type != k_media_sif_config) {
    return fail(ErrorKind::unsupported,
                what + " is not a SIF artifact: its config media type is \"" +
                    escape_control(manifest.config.media_type) + "\", not " +
                    std::string(k_media_sif_config) + " (pull OCI images with docker://)");
  }
  const oci::Descriptor* found = nullptr;
  for (const auto& layer : manifest.layers) {
    if (layer.media_type == k_media_sif_layer) {
      if (found != nullptr) {
        return fail(ErrorKind::unsupported, what + " has more than one SIF layer");
      }
      found = &layer;
    }
  }
  if (found == nullptr) {
    return fail(ErrorKind::unsupported,
                what + " has no layer of media type " + std::string(k_media_sif_layer));
  }
  if (manifest.config.size < 0 || manifest.config.size > k_max_config_size || found->size < 0) {
    return fail(ErrorKind::corrupt_input, what + " declares an impossible config or layer size");
  }
  return *found;
}

} // namespace

Result<SifPullResult> fetch_oras_sif(const ImageReference& reference, cache::Cache& cache,
                                     const SifFetchOptions& options, const SifProgress& progress) {
  DockerOptions docker;
  docker.credentials = options.registry.credentials;
  docker.ca_cert = options.registry.ca_cert.value_or("");
  docker.insecure = options.registry.insecure;
  docker.max_attempts = options.max_attempts;
  docker.retry_delay = options.registry.retry_delay;
  SIFKIT_TRY_ASSIGN(auto source, open_docker_source(reference.location, docker));
  std::string what = reference.canonical();
  SIFKIT_TRY_ASSIGN(auto root, source->fetch_root());
  if (!oci::is_image_media_type(root.media_type)) {
    return fail(ErrorKind::unsupported, what + " is an index (" + escape_control(root.media_type) +
                                            "), not a SIF artifact's manifest");
  }
  SIFKIT_TRY_ASSIGN(auto manifest,
                    with_context(oci::parse_manifest(root.bytes), "manifest of " + what));
  SIFKIT_TRY_ASSIGN(auto layer, sif_layer(manifest, what));
  SIFKIT_TRY(with_context(fetch_into_cache(*source, cache, manifest.config, {}),
                          "fetching the config of " + what));
  SIFKIT_TRY_ASSIGN(auto reused, with_context(fetch_into_cache(*source, cache, layer, progress),
                                              "fetching the SIF of " + what));
  std::string path = cache.blob_path(layer.digest);
  // The digest proves the registry sent what was pushed, not that a SIF was pushed; an
  // unreferenced non-SIF blob is left for GC.
  SIFKIT_TRY(check_sif_file(path, what));
  std::vector<Digest> children{manifest.config.digest, layer.digest};
  SIFKIT_TRY(record_sif(cache, what, root, children));
  SifPullResult out;
  out.digest = layer.digest;
  out.size = layer.size;
  out.path = std::move(path);
  out.manifest = root.digest;
  out.reused = reused;
  out.bytes_fetched = reused ? 0 : layer.size;
  return out;
}

} // namespace sifkit::registry
