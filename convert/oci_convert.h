#pragma once

// Converting an OCI image into an OCI-SIF whose layers are squashfs (what SingularityCE's
// `pull --oci` writes; reference "Step 4/5"): squash the layers, rewrite config and
// manifest, write the SIF. Unlike SingularityCE the output is deterministic: no wall
// clock time goes into it.
#include <common/digest.h>
#include <common/error.h>
#include <convert/options.h>
#include <convert/squash.h>
#include <sif/oci_blob_source.h>
#include <sif/oci_types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::convert {

// The `created_by` of the history entry we write (keep in step with project(VERSION)).
inline constexpr std::string_view k_creator = "sifkit 0.1.0";

enum class LayerMode {
  squash,      // all layers merged into one squashfs (the default)
  keep_layers, // one squashfs per layer, whiteouts in overlayfs form (--keep-layers)
};

struct ConvertOptions {
  SquashOptions squash;
  LayerMode layers = LayerMode::squash;
};

// One squashfs layer of the output.
struct ConvertedLayer {
  Digest digest; // sha256 of the squashfs file (= its diff ID)
  std::int64_t size = 0;
  SquashStats stats;
};

struct ConvertResult {
  Digest source_manifest; // what was converted (empty for a root filesystem)
  Digest manifest;        // the OCI-SIF's image manifest
  Digest config;
  std::string manifest_media_type;
  std::vector<ConvertedLayer> layers;
  std::int64_t sif_size = 0;
  std::chrono::milliseconds squash_time{0}; // reading layers, writing squashfs
  std::chrono::milliseconds write_time{0};  // hashing and writing the SIF
  std::chrono::milliseconds total_time{0};
};

// True for a layer media type the converter reads (tar, optionally compressed; Docker's
// rootfs.diff types included).
bool is_tar_layer_media_type(std::string_view media_type);

// Converts the image manifest `manifest_digest` (OCI or Docker schema 2) from `blobs`
// into the OCI-SIF `out_sif` (replaced atomically; nothing is left there on failure,
// and the temp files next to it are removed). Every blob read is verified against its
// digest and size. Fails with `unsupported` for an index, or for layers that are not
// tar (squashfs ones included: the image is already converted), `corrupt_input`
// naming the layer for hostile or damaged input or the field of a config sif-run could
// not read (oci::parse_image_config), `capacity` naming the layer when the merged tree
// outgrows options.squash.tree_limits, `not_found` for a missing blob, `io`.
Result<ConvertResult> convert_image(const oci::BlobSource& blobs, const Digest& manifest_digest,
                                    const std::string& out_sif, const ConvertOptions& options,
                                    const SquashProgressCallback& progress = {});

// Converts one root filesystem (a directory or a plain tar, as `input` opens it) into the
// OCI-SIF `out_sif`: one squashfs layer, a minimal OCI config for `platform` (a default
// PATH, one history entry without a time) and an OCI manifest. Deterministic; same
// failures as convert_image. `options.layers` does not matter for one layer.
Result<ConvertResult> convert_rootfs(const LayerInput& input, const std::string& out_sif,
                                     const ConvertOptions& options, const oci::Platform& platform,
                                     const SquashProgressCallback& progress = {});

// Writes only the squashfs of image `manifest_digest` (its layers merged) to `out_path`,
// atomically: for benchmarks and tests. Same failures as convert_image.
Result<SquashStats> squash_image(const oci::BlobSource& blobs, const Digest& manifest_digest,
                                 const std::string& out_path, const SquashOptions& options,
                                 const SquashProgressCallback& progress = {});

// Writes only the squashfs of the root filesystem `input` to `out_path`, atomically.
Result<SquashStats> squash_rootfs(const LayerInput& input, const std::string& out_path,
                                  const SquashOptions& options,
                                  const SquashProgressCallback& progress = {});

} // namespace sifkit::convert
