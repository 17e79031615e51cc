#include "oci_convert.h"

#include <common/atomic_file.h>
#include <convert/file_blob_source.h>
#include <convert/oci_rewrite.h>
#include <convert/scratch_file.h>
#include <convert/source_image.h>
#include <sif/oci_config.h>
#include <sif/oci_write.h>

#include <sys/stat.h>

namespace sifkit::convert {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// The squashfs files of a conversion, removed when this goes out of scope.
struct SquashedLayers {
  std::vector<ScratchFile> files;
  std::vector<ConvertedLayer> layers;
};

Result<std::int64_t> file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail_errno("stat " + path, errno);
  }
  return static_cast<std::int64_t>(st.st_size);
}

Result<void> add_layer(SquashedLayers& out, ScratchFile file, const SquashStats& stats) {
  SIFKIT_TRY_ASSIGN(auto digest, digest_of_file(file.path()));
  SIFKIT_TRY_ASSIGN(auto size, file_size(file.path()));
  out.layers.push_back(ConvertedLayer{digest, size, stats});
  out.files.push_back(std::move(file));
  return {};
}

// Squashes `inputs` into scratch files in `dir`: one file, or one per layer.
Result<SquashedLayers> squash_to_scratch(std::span<const LayerInput> inputs, const std::string& dir,
                                         const ConvertOptions& options,
                                         const SquashProgressCallback& progress) {
  SquashedLayers out;
  if (options.layers == LayerMode::squash || inputs.size() <= 1) {
    SIFKIT_TRY_ASSIGN(auto file, ScratchFile::create(dir, "squashfs"));
    SIFKIT_TRY_ASSIGN(auto stats, squash_layers(inputs, file.path(), options.squash, progress));
    SIFKIT_TRY(add_layer(out, std::move(file), stats));
    return out;
  }
  SquashProgress done; // totals of the layers already written
  done.layer_count = static_cast<int>(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    SquashProgressCallback each;
    if (progress) {
      each = [&progress, &done, i](const SquashProgress& p) {
        progress(SquashProgress{done.bytes_in + p.bytes_in, done.bytes_out + p.bytes_out,
                                static_cast<int>(i), done.layer_count});
      };
    }
    SIFKIT_TRY_ASSIGN(auto file, ScratchFile::create(dir, "squashfs"));
    SIFKIT_TRY_ASSIGN(auto stats,
                      squash_layer_for_overlay(inputs[i], file.path(), options.squash, each));
    done.bytes_in += stats.bytes_in;
    done.bytes_out += stats.image_size;
    SIFKIT_TRY(add_layer(out, std::move(file), stats));
  }
  return out;
}

// Writes the OCI-SIF around `manifest` (layers and config filled in here) and fills the
// digests and sizes of `result`.
Result<void> write_sif(const std::string& out_sif, oci::Manifest manifest, std::string config,
                       const SquashedLayers& squashed, ConvertResult& result) {
  oci::MemoryBlobSource memory;
  FileBlobSource files;
  manifest.config.size = static_cast<std::int64_t>(config.size());
  manifest.config.digest = memory.add(std::move(config));
  manifest.config.data.reset(); // the config changed: inline data would be stale
  manifest.layers.clear();
  for (std::size_t i = 0; i < squashed.layers.size(); ++i) {
    const ConvertedLayer& layer = squashed.layers[i];
    oci::Descriptor d;
    d.media_type = std::string(oci::k_media_squashfs_layer);
    d.size = layer.size;
    d.digest = layer.digest;
    manifest.layers.push_back(std::move(d));
    files.add(layer.digest, squashed.files[i].path());
  }
  // The subject names a manifest the OCI-SIF does not hold; the new image is not it.
  manifest.subject.reset();
  result.manifest_media_type = manifest.media_type;
  result.config = manifest.config.digest;
  result.manifest = memory.add(serialize_manifest(manifest));
  oci::ChainBlobSource chain({&memory, &files});
  oci::WriteOptions write{oci::k_singularity_spare_descriptors};
  SIFKIT_TRY(oci::write_oci_sif_around(out_sif, result.manifest, chain, write));
  SIFKIT_TRY_ASSIGN(auto size, file_size(out_sif));
  result.sif_size = size;
  return {};
}

} // namespace

Result<ConvertResult> convert_image(const oci::BlobSource& blobs, const Digest& manifest_digest,
                                    const std::string& out_sif, const ConvertOptions& options,
                                    const SquashProgressCallback& progress) {
  auto start = Clock::now();
  std::string what = "converting " + manifest_digest.text() + " to " + out_sif;
  SIFKIT_TRY(validate(options.squash));
  SIFKIT_TRY_ASSIGN(auto source, with_context(read_source_image(blobs, manifest_digest), what));
  // Read as sif-run reads it, before any layer: a field of the wrong type ("User": 5) is
  // refused here rather than by every run of the converted image.
  SIFKIT_TRY(with_context(with_context(oci::parse_image_config(source.config_bytes),
                                       "config " + source.manifest.config.digest.text()),
                          what));
  SIFKIT_TRY_ASSIGN(
      auto squashed,
      with_context(squash_to_scratch(source.layers, directory_of(out_sif), options, progress),
                   what));
  ConvertResult result;
  result.source_manifest = manifest_digest;
  result.squash_time = since(start);
  auto write_start = Clock::now();
  std::vector<Digest> diff_ids;
  for (const ConvertedLayer& layer : squashed.layers) {
    diff_ids.push_back(layer.digest);
  }
  SIFKIT_TRY_ASSIGN(auto config,
                    with_context(rewrite_config(source.config_bytes, diff_ids, manifest_digest),
                                 "config " + source.manifest.config.digest.text()));
  SIFKIT_TRY(with_context(
      write_sif(out_sif, std::move(source.manifest), std::move(config), squashed, result), what));
  result.layers = std::move(squashed.layers);
  result.write_time = since(write_start);
  result.total_time = since(start);
  return result;
}

Result<ConvertResult> convert_rootfs(const LayerInput& input, const std::string& out_sif,
                                     const ConvertOptions& options, const oci::Platform& platform,
                                     const SquashProgressCallback& progress) {
  auto start = Clock::now();
  std::string what = "converting " + input.name + " to " + out_sif;
  SIFKIT_TRY(validate(options.squash));
  SIFKIT_TRY_ASSIGN(
      auto squashed,
      with_context(
          squash_to_scratch(std::span(&input, 1), directory_of(out_sif), options, progress), what));
  ConvertResult result;
  result.squash_time = since(start);
  auto write_start = Clock::now();
  oci::Manifest manifest;
  manifest.media_type = std::string(oci::k_media_oci_manifest);
  manifest.config.media_type = std::string(oci::k_media_oci_config);
  std::string config = rootfs_config(platform, {squashed.layers.front().digest});
  SIFKIT_TRY(with_context(
      write_sif(out_sif, std::move(manifest), std::move(config), squashed, result), what));
  result.layers = std::move(squashed.layers);
  result.write_time = since(write_start);
  result.total_time = since(start);
  return result;
}

Result<SquashStats> squash_image(const oci::BlobSource& blobs, const Digest& manifest_digest,
                                 const std::string& out_path, const SquashOptions& options,
                                 const SquashProgressCallback& progress) {
  std::string what = "squashing " + manifest_digest.text() + " to " + out_path;
  SIFKIT_TRY(validate(options));
  SIFKIT_TRY_ASSIGN(auto source, with_context(read_source_image(blobs, manifest_digest), what));
  SIFKIT_TRY_ASSIGN(auto file,
                    with_context(ScratchFile::create(directory_of(out_path), "squashfs"), what));
  SIFKIT_TRY_ASSIGN(
      auto stats, with_context(squash_layers(source.layers, file.path(), options, progress), what));
  SIFKIT_TRY(with_context(file.commit(out_path), what));
  return stats;
}

Result<SquashStats> squash_rootfs(const LayerInput& input, const std::string& out_path,
                                  const SquashOptions& options,
                                  const SquashProgressCallback& progress) {
  std::string what = "squashing " + input.name + " to " + out_path;
  SIFKIT_TRY(validate(options));
  SIFKIT_TRY_ASSIGN(auto file,
                    with_context(ScratchFile::create(directory_of(out_path), "squashfs"), what));
  SIFKIT_TRY_ASSIGN(
      auto stats,
      with_context(squash_layers(std::span(&input, 1), file.path(), options, progress), what));
  SIFKIT_TRY(with_context(file.commit(out_path), what));
  return stats;
}

} // namespace sifkit::convert
