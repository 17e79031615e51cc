#pragma once

// The image a container runs from: an OCI-SIF file, its one image's config and the byte
// ranges of its squashfs layers inside the file (what the mount code mounts in place).
#include <common/error.h>
#include <sif/oci_config.h>
#include <sif/oci_types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sifkit::runtime {

// The media type of a squashfs layer in an OCI-SIF.
inline constexpr std::string_view k_media_squashfs_layer =
    "application/vnd.sylabs.image.layer.v1.squashfs";

// One squashfs layer: where its bytes lie in the SIF file.
struct SquashfsLayer {
  Digest digest;
  std::int64_t offset = 0; // from the start of the file
  std::int64_t size = 0;
};

struct RunImage {
  std::string path; // the OCI-SIF file, absolute
  Digest manifest;
  oci::ImageConfig config;
  std::vector<SquashfsLayer> layers; // oldest (lowest) first
};

// Opens the OCI-SIF at `path` and reads its image (the host platform's when it holds
// several). `not_found` for a missing file, `unsupported` for a SIF that is not an
// OCI-SIF or an image whose layers are not squashfs (an image converted with another
// tool's layer type), `corrupt_input` for malformed content.
Result<RunImage> open_run_image(const std::string& path);

} // namespace sifkit::runtime
