#pragma once

// The mount table of this process's mount namespace (/proc/self/mountinfo), read so that
// sifkit never removes a directory tree through a mount and knows what is still mounted.
#include <common/error.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sifkit {

// One line of a mount table: where something is mounted, and its file system type.
struct MountTableEntry {
  std::uint64_t id = 0;    // the mount's id (statx's STATX_MNT_ID)
  std::string mount_point; // octal escapes such as \040 decoded
  std::string fs_type;     // "squashfs", "overlay", "cgroup2", ...
  std::string options;     // the per-mount options: "ro,nosuid,nodev,relatime", ...
};

// The mount table `path` (in /proc/self/mountinfo's format), in its order. `io` (or
// `not_found`) when it cannot be read; malformed lines are skipped.
Result<std::vector<MountTableEntry>>
read_mount_table(const std::string& path = "/proc/self/mountinfo");

// The mount points of this mount namespace, in mountinfo's order (octal escapes such as
// \040 decoded). `io` when /proc/self/mountinfo cannot be read.
Result<std::vector<std::string>> mount_points();

// A mount's id: the kernel's unique id (statx STATX_MNT_ID_UNIQUE, Linux 6.8 and later),
// never given to another mount, where the kernel has one; else mountinfo's id, which a
// later mount may get once this one is gone.
struct MountId {
  std::uint64_t value = 0;
  bool unique = false;
};

// The id of the mount `fd` (a descriptor, O_PATH ones too) lies on: the unique one where
// the kernel has it. `io` with the system's reason.
Result<MountId> mount_id_of(int fd);

// The id of the mount on `path`, the mount point itself (mount_id_of after opening it
// O_PATH). Errors of open and statx.
Result<MountId> mount_id_at(const std::string& path);

// Where the mount `id` is now in this mount namespace (statmount for a unique id, the
// mount table for the other kind); nothing when it is gone. `io` when neither can be read.
Result<std::optional<std::string>> mount_point_of(const MountId& id);

// True when `path` (absolute, normalised) or anything below it is a mount point.
Result<bool> has_mount_at_or_below(const std::string& path);

// Removes the directory tree `path` after checking that nothing is mounted at or below
// it: `conflict` naming the mount when something is, `io` when removal fails. A missing
// `path` is not an error.
Result<void> remove_tree_unless_mounted(const std::string& path);

} // namespace sifkit
