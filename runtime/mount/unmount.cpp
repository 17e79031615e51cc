// unmount_all: undoing a MountRecord, newest mount first.
#include <common/file.h>
#include <common/mountinfo.h>
#include <common/path_fd.h>
#include <runtime/mount/fuse_mount.h>
#include <runtime/mount/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>

#include <sys/mount.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

Result<bool> is_mount_point(const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto points, mount_points());
  return std::find(points.begin(), points.end(), path) != points.end();
}

// Unmounts the mount of `entry` on its target (a canonical path, as records hold them):
// opened without following any link, so that a link planted on the way since the mount
// is refused rather than followed; the mount found there must be the recorded one (its
// id), else the recorded one was moved away (`conflict` naming where) or is gone. It is
// detached through the descriptor: the descriptor holds the mount, so a plain umount
// would always find it busy; it goes when the descriptor is closed, right after.
Result<void> unmount_through_descriptor(const MountEntry& entry) {
  const std::string& target = entry.target;
  auto handle = open_directory_without_links(target, ErrorKind::conflict);
  if (!handle && handle.error().kind() == ErrorKind::io) {
    return std::unexpected(handle.error());
  }
  MountId recorded{entry.mount_id, entry.mount_id_unique};
  MountId found = handle ? mount_id_of(handle->fd()).value_or(MountId{}) : MountId{};
  // A record of another kind of id (written by a kernel or sifkit without unique ids)
  // cannot be compared with what the kernel gives now.
  bool comparable = recorded.value != 0 && (found.value == 0 || found.unique == recorded.unique);
  if (comparable && found.value != recorded.value) {
    SIFKIT_TRY_ASSIGN(auto moved, mount_point_of(recorded));
    if (moved) {
      return fail(ErrorKind::conflict, "not unmounting " + target + ": its mount is now at " +
                                           *moved + " (moved, or reached through a link)");
    }
    return {}; // gone
  }
  if (!handle) {
    if (handle.error().kind() == ErrorKind::not_found) {
      return {}; // not there any more
    }
    return std::unexpected(std::move(handle.error()).with_context("not unmounting " + target));
  }
  // umount2 refuses (EINVAL) a directory that is not a mount's root: nothing there any
  // more. A dead FUSE daemon's mount cannot be stat'ed, but is unmounted all the same.
  if (::umount2(fd_path(handle->fd()).c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
    return fail_errno("unmounting " + target, errno);
  }
  return {};
}

Result<void> unmount_target(const MountEntry& entry) {
  // Without privilege umount2 fails with EPERM before it looks: ask the mount table
  // first (a --fakeroot run's mounts lived in its own namespace and are never here).
  if (::geteuid() != 0) {
    SIFKIT_TRY_ASSIGN(auto mounted, is_mount_point(entry.target));
    if (!mounted) {
      return {};
    }
    if (is_fuse(entry.kind)) {
      return fusermount_unmount(entry.target);
    }
  }
  return unmount_through_descriptor(entry);
}

} // namespace

Result<void> unmount_all(const MountRecord& record) {
  std::string failed;
  Error first(ErrorKind::io, "");
  for (auto entry = record.entries.rbegin(); entry != record.entries.rend(); ++entry) {
    auto done = unmount_target(*entry);
    if (!done) {
      if (failed.empty()) {
        first = done.error();
      }
      failed += (failed.empty() ? "" : ", ") + entry->target;
      continue;
    }
    if (is_fuse(entry->kind)) {
      stop_fuse_daemon(entry->fuse_pid);
    }
  }
  if (!failed.empty()) {
    return std::unexpected(std::move(first).with_context("could not unmount " + failed));
  }
  // Scratch directories only; never through a mount (remove_tree checks).
  for (const char* scratch : {"/layers", "/overlay", "/overlays"}) {
    SIFKIT_TRY(remove_tree_unless_mounted(record.work_dir + scratch));
  }
  std::string path = mount_record_path(record.work_dir);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail_errno("removing " + path, errno);
  }
  return {};
}

void stop_fuse_daemons(const MountRecord& record) {
  for (auto entry = record.entries.rbegin(); entry != record.entries.rend(); ++entry) {
    if (is_fuse(entry->kind)) {
      stop_fuse_daemon(entry->fuse_pid);
    }
  }
}

} // namespace sifkit::runtime
