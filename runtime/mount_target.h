#pragma once

// The directory a sif-mount session mounts on, resolved once: opened without following a
// link in its last component (a bundle's rootfs/ beneath the bundle without following
// any), checked on the descriptor (a directory of the caller's own, empty), and the
// image's root mount attached to that descriptor rather than to a path that could be
// swapped for a link in between.
#include <common/error.h>
#include <common/file.h>
#include <runtime/mount.h>

#include <string>

namespace sifkit::runtime {

// An opened, checked mount point.
struct MountTarget {
  std::string path; // canonical path of the directory (the kernel's, from the descriptor)
  File handle;      // O_PATH | O_DIRECTORY
};

// Opens `dir` as a mount target: its last component must not be a symbolic link, and it
// must belong to the caller's real uid (root mounts on root's directories only); `what`
// names it in messages. `usage` otherwise; `not_found`, `io` from the system.
Result<MountTarget> open_mount_target(const std::string& dir, const std::string& what);

// Creates (when missing) and opens `name` beneath `parent` without following any link,
// owned by the caller like `parent`. `usage` for a link, a non-directory or another
// owner.
Result<MountTarget> open_mount_target_in(const MountTarget& parent, const std::string& name);

// `conflict` unless `target` is an empty directory (read through its descriptor).
Result<void> require_empty(const MountTarget& target);

// Moves the root mount of `record` (mount_image's, on `record.rootfs` in a private
// directory) onto `target`'s descriptor: a clone of it is attached there (open_tree +
// move_mount) and the private mount removed. Then rewrites `record` (rootfs and the
// entry of the root mount) to `target.path` and writes it again. Needs CAP_SYS_ADMIN.
// `io` with the system's reason; when the attach fails `record` is unchanged, for the
// caller to undo.
Result<void> attach_root_mount(MountRecord& record, const MountTarget& target);

} // namespace sifkit::runtime
