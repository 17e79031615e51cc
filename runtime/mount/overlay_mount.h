#pragma once

// Mounting the overlays a run stacks over the image's layers: --overlay items (host
// directories, ext3 and squashfs image files) and the ext3 overlay embedded in an OCI-SIF.
// Read-only items become lower layers above the image's; the one writable item (if any)
// gives the upper and work directories, created on first use (DIR/upper, DIR/work, or
// upper/ and work/ inside the ext3 file system). Image files are mounted through a loop
// device with the kernel's squashfs / ext4 driver, or with squashfuse / fuse2fs.
#include <common/error.h>
#include <common/file.h>
#include <runtime/image/image.h>
#include <runtime/mount/mount.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sifkit::runtime {

// One directory of the stack, checked through a descriptor opened without following
// links (common/path_fd.h) and held open until the overlay is mounted.
struct StackDir {
  std::string path; // where it was checked: what fuse-overlayfs (another process) opens
  File handle;      // O_PATH

  // /proc/self/fd/N of `handle`: what the kernel's overlayfs gets, so that a link swapped
  // in after the check changes nothing.
  std::string kernel_path() const;
};

// What the overlay items add to the stack.
struct OverlayStack {
  std::vector<StackDir> lowers_top_first; // above the image's layers
  std::optional<StackDir> upper, work;    // none: no writable item
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
// (below the items; writable with ImageOverlay::writable). upper/ and work/ inside an
// ext3 file system, and DIR/upper and DIR/work of a writable directory, are created and
// opened beneath their root without following links or leaving its mount. `usage` for
// --writable without an embedded overlay, for a writable DIR that is a link or belongs
// to another uid than the caller's, or whose upper/work is a link or not a directory;
// `corrupt_input` when upper/ or work/ in an ext3 overlay is a link or not a directory;
// `unsupported` when a program or privilege is missing; `io` for failed mounts. What was
// mounted is in the record even on failure.
Result<OverlayStack> mount_overlay_items(const std::vector<OverlaySpec>& items,
                                         const std::optional<SquashfsLayer>& embedded,
                                         ImageOverlay embedded_mode,
                                         const OverlayMountContext& context);

// fuse2fs on $PATH; `unsupported` naming the package when it is missing.
Result<std::string> find_fuse2fs();

} // namespace sifkit::runtime
