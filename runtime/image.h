#pragma once

// The image a container runs from: an OCI-SIF file, its one image's config and the byte
// ranges of its squashfs layers inside the file (what the mount code mounts in place), and
// of the ext3 overlay SingularityCE's `overlay create` may have appended as its last layer.
#include <common/error.h>
#include <sif/oci_config.h>
#include <sif/oci_types.h>

#include <cstdint>
#include <optional>
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

// The media type of an ext3 overlay layer (only ever the last layer).
inline constexpr std::string_view k_media_ext3_layer = "application/vnd.sylabs.image.layer.v1.ext3";

struct RunImage {
  std::string path; // the OCI-SIF file, absolute
  Digest manifest;
  oci::ImageConfig config;
  std::vector<SquashfsLayer> layers;    // oldest (lowest) first
  std::optional<SquashfsLayer> overlay; // the embedded ext3 overlay (its byte range)
};

// Opens the OCI-SIF at `path` and reads its image (the host platform's when it holds
// several). `not_found` for a missing file, `unsupported` for a SIF that is not an
// OCI-SIF or an image whose layers are not squashfs (an image converted with another
// tool's layer type) apart from one trailing ext3 overlay, `corrupt_input` for malformed
// content.
Result<RunImage> open_run_image(const std::string& path);

} // namespace sifkit::runtime
