#include <registry/sif_fetch.h>
#include <registry/sif_sources.h>
#include <sif/image.h>
#include <sif/oci_types.h>

#include <nlohmann/json.hpp>

namespace sifkit::registry {

bool is_sif_reference(const ImageReference& reference) {
  return reference.transport == Transport::http || reference.transport == Transport::oras;
}

Result<SifPullResult> fetch_sif(const ImageReference& reference, cache::Cache& cache,
                                const SifFetchOptions& options, const SifProgress& progress) {
  auto start = std::chrono::steady_clock::now();
  Result<SifPullResult> result = fail(ErrorKind::internal, "");
  switch (reference.transport) {
  case Transport::http:
    result = fetch_http_sif(reference, cache, options, progress);
    break;
  case Transport::oras:
    result = fetch_oras_sif(reference, cache, options, progress);
    break;
  default:
    return fail(ErrorKind::usage, reference.canonical() +
                                      " names an OCI image, not a SIF file (pull it as an image)");
  }
  if (!result) {
    return std::unexpected(
        std::move(result.error()).with_context("pulling " + reference.canonical()));
  }
  result->reference = reference.canonical();
  result->total_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

Result<void> check_sif_file(const std::string& path, std::string_view what) {
  auto image = sif::Image::open(path);
  if (!image) {
    // Whatever the reader tripped over (a bad magic, a short header, a descriptor past
    // the end), the body is not a SIF we can use.
    return fail(ErrorKind::corrupt_input,
                std::string(what) + " is not a SIF file (" + image.error().message() + ")");
  }
  return {};
}

FetchedManifest sif_manifest(const Digest& sif, std::int64_t size) {
  using Json = nlohmann::ordered_json;
  std::string config(k_sif_config_bytes);
  Json doc = {
      {"schemaVersion", 2},
      {"mediaType", oci::k_media_oci_manifest},
      {"artifactType", k_media_sif_config},
      {"config",
       {{"mediaType", k_media_sif_config},
        {"digest", Digest::of(config).text()},
        {"size", config.size()}}},
      {"layers",
       Json::array({{{"mediaType", k_media_sif_layer}, {"digest", sif.text()}, {"size", size}}})}};
  FetchedManifest out;
  out.bytes = doc.dump();
  out.media_type = std::string(oci::k_media_oci_manifest);
  out.digest = Digest::of(out.bytes);
  return out;
}

Result<void> record_sif(cache::Cache& cache, const std::string& name,
                        const FetchedManifest& manifest, std::span<const Digest> children) {
  cache::BlobInfo info{static_cast<std::int64_t>(manifest.bytes.size()), manifest.media_type};
  SIFKIT_TRY(with_context(cache.put(manifest.digest, source_from_string(manifest.bytes), info),
                          "storing manifest " + manifest.digest.text()));
  SIFKIT_TRY(cache.add_children(manifest.digest, children));
  SIFKIT_TRY(cache.set_ref(cache::RefKey{name, ""}, manifest.digest));
  return {};
}

} // namespace sifkit::registry
