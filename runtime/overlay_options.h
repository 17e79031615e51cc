#pragma once

// Overlays a user asks for (--overlay DIR | FILE.img[:ro] | FILE.sqfs), stacked over the
// image's layers (runtime/overlay_mount.h mounts them; runtime/overlay_items.h parses them).
#include <string>

namespace sifkit::runtime {

enum class OverlayKind {
  directory, // a host directory: writable (upper), or a read-only lower with :ro
  ext3,      // an ext2/3/4 image file: writable, or read-only with :ro
  squashfs,  // a squashfs image file: always read-only
};

struct OverlaySpec {
  std::string path; // absolute
  OverlayKind kind = OverlayKind::directory;
  bool read_only = false;
};

// What happens to an ext3 overlay embedded in the OCI-SIF as its last layer.
enum class ImageOverlay {
  read_only, // a read-only lower above the image's layers (the default)
  writable,  // the writable upper layer (sif-run --writable)
};

} // namespace sifkit::runtime
