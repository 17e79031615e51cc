#pragma once

// Mounting the overlays a run stacks over the image's layers: --overlay items (host
// directories, ext3 and squashfs image files) and the ext3 overlay embedded in an OCI-SIF.
// Read-only items become lower layers above the image's; the one writable item (if any)
// gives the upper and work directories, created on first use (DIR/upper, DIR/work, or
// upper/ and work/ inside the ext3 file system). Image files are mounted through a loop
// device with the kernel's squashfs / ext4 driver, or with squashfuse / fuse2fs.
#include <common/error.h>
#include <runtime/image.h>
#include <runtime/mount.h>
#include <runtime/overlay_options.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sifkit::runtime {

// What the overlay items add to the stack.
struct OverlayStack {
  std::vector<std::string> lowers_top_first; // above the image's layers
  std::string upper, work;                   // empty: no writable item
  bool fuse_upper = false; // the upper lies on a FUSE mount (kernel overlayfs cannot use it)
};

// Where and how to mount.
struct OverlayMountContext {
  std::string image_path; // the OCI-SIF (for the embedded overlay)
  std::string work_dir;   // mount points go to `work_dir`/overlays/N
  bool kernel = true;     // loop devices and kernel file systems, else FUSE
  FuseLifetime fuse_lifetime = FuseLifetime::with_caller;
  std::function<Result<void>(MountEntry)> record; // called after every mount
};

// Mounts `items` (the first is the top) and, when given, the `embedded` ext3 overlay
// (below the items; writable with ImageOverlay::writable). `usage` for --writable without
// an embedded overlay; `unsupported` when a program or privilege is missing; `io` for
// failed mounts. What was mounted is in the record even on failure.
Result<OverlayStack> mount_overlay_items(const std::vector<OverlaySpec>& items,
                                         const std::optional<SquashfsLayer>& embedded,
                                         ImageOverlay embedded_mode,
                                         const OverlayMountContext& context);

// fuse2fs on $PATH; `unsupported` naming the package when it is missing.
Result<std::string> find_fuse2fs();

} // namespace sifkit::runtime
