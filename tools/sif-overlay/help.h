#pragma once

// The long help of sif-overlay: what `create` adds and how sif-run uses it.

namespace sifkit::tools {

inline constexpr const char* k_overlay_description =
    "Manage the writable overlay stored inside an OCI-SIF image, as SingularityCE's\n"
    "`overlay create` does. `create` makes an ext3 file system (mkfs.ext3) and appends it\n"
    "to the image as its last layer (media type application/vnd.sylabs.image.layer.v1.ext3);\n"
    "sif-run then mounts it read-only above the image, or writable with --writable, so that\n"
    "what a container writes is kept inside the SIF file.";

inline constexpr const char* k_overlay_create_footer = R"(Examples:
  sif-overlay create --size 1024 app.sif       # a 1 GiB overlay inside app.sif
  sif-run --writable app.sif sh -c 'echo hi > /kept'
  sif-run app.sif cat /kept                     # read-only, still there
  sif-overlay create --size 64 --create-dir /data --json app.sif

The overlay holds upper/ and work/ (overlayfs's layout, owned by you), and each
--create-dir DIR as upper/DIR. The image file is updated in a copy next to it (a reflink
where the file system can, else a full copy: have room for it) that replaces the file
only when complete; on any failure the file is unchanged. Only an OCI-SIF holding one
unsigned image without an overlay can take one.

JSON (--json, on stdout): {image, layer: {mediaType, digest, size}, manifest, copy}
  copy is "clone" (reflink) or "copy".

Exit codes:
  0  success
  2  bad usage (--size below 64, a relative --create-dir)
  3  IMAGE not found
  5  I/O failure (mkfs.ext3 failed, disk full, directory not writable)
  6  unsupported (not an OCI-SIF, several images, signed, no mkfs.ext3)
  7  conflict (the image has an overlay already)
)";

} // namespace sifkit::tools
