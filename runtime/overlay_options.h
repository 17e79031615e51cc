#pragma once

// Overlays a user asks for (--overlay DIR | FILE.img[:ro] | FILE.sqfs), stacked over the
// image's layers (runtime/overlay.h mounts them).
#include <string>

namespace sifkit::runtime {

enum class OverlayKind {
  directory, // a host directory: writable (upper), or a read-only lower with :ro
  ext3,      // an ext3 image file: writable, or read-only with :ro
  squashfs,  // a squashfs image file: always read-only
};

struct OverlaySpec {
  std::string path; // absolute
  OverlayKind kind = OverlayKind::directory;
  bool read_only = false;
};

} // namespace sifkit::runtime
