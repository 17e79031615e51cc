#pragma once

// Adding a writable ext3 overlay to an OCI-SIF, as SingularityCE's `overlay create` does:
// an ext3 file system made with mkfs.ext3 (upper/ and work/ inside, plus any directories
// asked for under upper/) appended as the image's last layer with media type
// application/vnd.sylabs.image.layer.v1.ext3; a new config (one more diff ID and history
// entry), manifest and root index. sif-run mounts it read-only, or writable with
// --writable.
#include <common/digest.h>
#include <common/error.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sifkit::convert {

// SingularityCE's smallest overlay.
inline constexpr std::int64_t k_min_overlay_size_mb = 64;

struct OverlayCreateOptions {
  std::int64_t size_mb = k_min_overlay_size_mb;
  bool sparse = false;                  // the scratch file is sparse (truncate, not allocate)
  std::vector<std::string> create_dirs; // made under upper/ (absolute container paths)
};

// What was added.
struct OverlayCreateResult {
  std::string image;   // the OCI-SIF, absolute
  Digest layer_digest; // the ext3 layer (= its diff ID: stored uncompressed)
  std::int64_t layer_size = 0;
  std::string media_type;
  Digest manifest;         // the image's new manifest
  std::string copy_method; // how the file was copied before the update: "clone" or "copy"
};

// Adds an overlay to the OCI-SIF at `image`. The update is made in a copy next to the
// file (a reflink where the file system can) that is renamed over it only when complete:
// on any failure the original is untouched. Fails with `usage` (size below 64 MiB, a
// relative directory), `not_found`, `unsupported` (not an OCI-SIF, several images, a
// signed SIF, no mkfs.ext3), `conflict` (the image has an overlay already), `io`.
Result<OverlayCreateResult> add_image_overlay(const std::string& image,
                                              const OverlayCreateOptions& options);

} // namespace sifkit::convert
